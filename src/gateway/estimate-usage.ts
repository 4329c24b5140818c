import type { ChatCompletionRequest } from '../providers/openai/openai-api.js';
import type { Usage } from '../providers/usage.js';
import type { TokenCounter } from './token-counter.js';
import type { DeliveredOutput } from '../providers/delivered-output.js';

/** What a cut-short stream delivered: its events, and for translated streams its text. */
export interface Delivered {
  /** Content events sent to the client (the opening role event excluded). */
  contentEvents: number;
  /** The text, tool calls and reasoning sent, when the stream was translated. */
  output: DeliveredOutput | undefined;
}

/**
 * Usage for a stream that ended before the provider reported its totals (upstream cut,
 * client gone, idle timeout, mid-stream error): what the provider did report (Anthropic
 * reports input at the start, Gemini running totals), completed by estimates:
 * - prompt: its text (from the endpoint, asked for only when needed) counted with the
 *   tokenizer when the provider gave no input count;
 * - output of a translated stream: the delivered text, tool-call names and arguments, and
 *   reasoning, counted with the tokenizer (Anthropic and Gemini put many tokens in one
 *   event); reasoning tokens are the counted reasoning, part of the completion as OpenAI
 *   counts them;
 * - output of a pass-through OpenAI-compatible stream: one token per content event, which
 *   is what such servers send.
 * Every figure is at least what the provider last reported, so cutting a stream near its
 * end never lowers what it is billed.
 */
export async function estimateCutShortUsage(
  prompt: () => string,
  reported: Usage | undefined,
  delivered: Delivered,
  counter: Pick<TokenCounter, 'count'>,
): Promise<Usage> {
  const output = delivered.output;
  const [promptTokens, text, reasoning] = await Promise.all([
    reported && reported.promptTokens > 0 ? reported.promptTokens : counter.count(prompt()),
    output === undefined ? delivered.contentEvents : counter.count(output.text),
    output === undefined ? 0 : counter.count(output.reasoning),
  ]);
  const reasoningTokens = Math.max(reported?.reasoningTokens ?? 0, reasoning);
  const completionTokens = Math.max(reported?.completionTokens ?? 0, text + reasoning, reasoningTokens);
  return {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    cachedTokens: reported?.cachedTokens ?? 0,
    cacheWriteTokens: reported?.cacheWriteTokens ?? 0,
    reasoningTokens,
  };
}

/** The text a provider turns into prompt tokens: message texts, tool calls and tool definitions. */
export function promptText(request: ChatCompletionRequest): string {
  const parts: string[] = [];
  for (const message of request.messages) {
    const content = message.content;
    if (typeof content === 'string') parts.push(content);
    else if (Array.isArray(content)) for (const part of content) if ('text' in part && typeof part.text === 'string') parts.push(part.text);
    if (message.role === 'assistant') for (const call of message.tool_calls ?? []) parts.push(call.function.name, call.function.arguments);
  }
  if (request.tools) parts.push(JSON.stringify(request.tools));
  return parts.join('\n');
}
