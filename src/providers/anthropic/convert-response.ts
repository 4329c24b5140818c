import type { TranslatedResponse, TranslationContext, UpstreamResponse } from '../provider-adapter.js';
import { usageToOpenAI } from '../usage.js';
import { anthropicMessageSchema, type AnthropicMessage } from './anthropic-api.js';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';
import { usageFromAnthropic } from './usage-from-anthropic.js';
import { parseJson } from '../parse-json.js';
import { unreadableResponse as unreadable } from '../unreadable-upstream.js';

/**
 * A successful (non-streamed) Anthropic Message (https://docs.claude.com/en/api/messages)
 * as an OpenAI `chat.completion` (openai-openapi `CreateChatCompletionResponse`). The id
 * and creation time are the gateway's: Anthropic's "msg_..." id is not in OpenAI's format
 * and a Message carries no time.
 *
 * - text blocks, concatenated, are the message content (null when there are none, as with
 *   a refusal that produced nothing or a reply that only calls tools).
 * - tool_use blocks are tool_calls; their parsed `input` is serialized back to the JSON
 *   string OpenAI's `arguments` is.
 * - thinking blocks never reach `content`: their text, concatenated, is `reasoning_content`
 *   (the field DeepSeek and LiteLLM use for reasoning text in Chat Completions), and the
 *   blocks themselves, signature included, are `thinking_blocks`, which a client sends back
 *   on the assistant message to continue a tool loop with thinking on (see
 *   convertMessagesToAnthropic). redacted_thinking blocks are in `thinking_blocks` only.
 *   Their tokens count in usage either way. Other block kinds (server tool use and results)
 *   are left out.
 */
export function convertResponseFromAnthropic(response: UpstreamResponse, context: TranslationContext): TranslatedResponse {
  const parsed = anthropicMessageSchema.safeParse(parseJson(response.body));
  if (!parsed.success) return unreadable();
  const message = parsed.data;
  const usage = message.usage ? usageFromAnthropic(message.usage) : undefined;
  const completion: Record<string, unknown> = {
    id: context.responseId,
    object: 'chat.completion',
    created: context.created,
    model: message.model ?? context.model,
    choices: [{ index: 0, message: convertMessage(message), logprobs: null, finish_reason: mapAnthropicFinishReason(message.stop_reason) }],
  };
  if (usage) completion.usage = usageToOpenAI(usage);
  return {
    status: response.status,
    body: Buffer.from(JSON.stringify(completion)),
    headers: { 'content-type': 'application/json' },
    usage,
    model: message.model ?? undefined,
  };
}

function convertMessage(message: AnthropicMessage): Record<string, unknown> {
  let text: string | null = null;
  let reasoning: string | undefined;
  const toolCalls: Record<string, unknown>[] = [];
  const thinkingBlocks: Record<string, unknown>[] = [];
  for (const block of message.content ?? []) {
    if (block.type === 'text' && typeof block.text === 'string') {
      text = (text ?? '') + block.text;
    } else if (block.type === 'tool_use' && block.id && block.name) {
      toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    } else if (block.type === 'thinking' && typeof block.thinking === 'string') {
      reasoning = (reasoning ?? '') + block.thinking;
      thinkingBlocks.push({ type: 'thinking', thinking: block.thinking, signature: block.signature ?? '' });
    } else if (block.type === 'redacted_thinking' && typeof block.data === 'string') {
      thinkingBlocks.push({ type: 'redacted_thinking', data: block.data });
    }
  }
  const converted: Record<string, unknown> = { role: 'assistant', content: text, refusal: null, annotations: [] };
  if (reasoning !== undefined) converted.reasoning_content = reasoning;
  if (thinkingBlocks.length > 0) converted.thinking_blocks = thinkingBlocks;
  if (toolCalls.length > 0) converted.tool_calls = toolCalls;
  return converted;
}
