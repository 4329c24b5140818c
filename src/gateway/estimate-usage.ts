import type { ChatCompletionRequest } from '../providers/openai/openai-api.js';
import type { Usage } from '../providers/usage.js';
import type { TokenCounter } from './token-counter.js';

/**
 * Usage for a stream cut off before the provider reported its totals: what the provider
 * did report (Anthropic reports input at the start, Gemini running totals), completed by
 * estimates: the prompt (its text, from the endpoint, asked for only when needed) counted with the tokenizer, the output as the number of content
 * events delivered (OpenAI-compatible servers send about one token per event, translated
 * streams at least one). Never less than what the provider said.
 */
export async function estimateCutShortUsage(
  prompt: () => string,
  reported: Usage | undefined,
  deliveredContentEvents: number,
  counter: Pick<TokenCounter, 'count'>,
): Promise<Usage> {
  const promptTokens = reported && reported.promptTokens > 0 ? reported.promptTokens : await counter.count(prompt());
  const completionTokens = Math.max(reported?.completionTokens ?? 0, deliveredContentEvents);
  return {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    cachedTokens: reported?.cachedTokens ?? 0,
    cacheWriteTokens: reported?.cacheWriteTokens ?? 0,
    reasoningTokens: reported?.reasoningTokens ?? 0,
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
