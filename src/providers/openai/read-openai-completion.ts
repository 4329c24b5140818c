import type { Completion, CompletionChoice, ContentBlock } from '../../model/completion.js';
import { usageFromOpenAI } from '../usage.js';
import { mapOpenAIFinishReason, readLogprobs } from './openai-chat-stream-reader.js';

/**
 * An OpenAI-compatible `chat.completion` (openai-openapi `CreateChatCompletionResponse`) in
 * neutral terms, for clients that speak another format. Undefined when the body is not a
 * completion at all (the caller reports an unreadable upstream answer).
 * - message.content (string, or text parts as some servers send): text; message.refusal: text.
 * - message.reasoning_content / message.reasoning: reasoning (DeepSeek, vLLM, OpenRouter).
 * - message.tool_calls: tool calls with their JSON arguments as sent.
 */
export function readOpenAICompletion(body: Record<string, unknown>): Completion | undefined {
  if (!Array.isArray(body.choices)) return undefined;
  const choices: CompletionChoice[] = [];
  body.choices.forEach((raw, position) => {
    if (raw === null || typeof raw !== 'object') return;
    const choice = raw as Record<string, unknown>;
    const message = (choice.message ?? {}) as Record<string, unknown>;
    const content: ContentBlock[] = [];
    const reasoning = typeof message.reasoning_content === 'string' ? message.reasoning_content : typeof message.reasoning === 'string' ? message.reasoning : undefined;
    if (reasoning) content.push({ type: 'reasoning', text: reasoning });
    const text = textOf(message.content);
    if (text) content.push({ type: 'text', text });
    if (typeof message.refusal === 'string' && message.refusal !== '') content.push({ type: 'text', text: message.refusal });
    if (Array.isArray(message.tool_calls)) {
      for (const call of message.tool_calls as Record<string, unknown>[]) {
        const fn = (call?.function ?? {}) as Record<string, unknown>;
        content.push({ type: 'tool-call', id: typeof call?.id === 'string' ? call.id : `call_${content.length}`, name: typeof fn.name === 'string' ? fn.name : '', arguments: typeof fn.arguments === 'string' ? fn.arguments : '' });
      }
    }
    choices.push({
      index: typeof choice.index === 'number' ? choice.index : position,
      content,
      finishReason: mapOpenAIFinishReason(typeof choice.finish_reason === 'string' ? choice.finish_reason : undefined),
      logprobs: readLogprobs(choice.logprobs),
    });
  });
  return {
    id: typeof body.id === 'string' ? body.id : undefined,
    model: typeof body.model === 'string' ? body.model : undefined,
    choices,
    usage: usageFromOpenAI(body.usage),
  };
}

function textOf(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  let text = '';
  for (const part of content) if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') text += (part as { text: string }).text;
  return text || undefined;
}
