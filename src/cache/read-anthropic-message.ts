import type { Completion, ContentBlock } from '../model/completion.js';
import { usageFromAnthropic } from '../providers/anthropic/usage-from-anthropic.js';
import { finishReasonFromAnthropic } from '../api/anthropic-messages/anthropic-stop-reason.js';

/**
 * An Anthropic `Message` (https://docs.claude.com/en/api/messages "Response") back in neutral
 * terms, for the response cache, which stores what a Messages client was sent: text,
 * thinking (with its signature), redacted_thinking and tool_use blocks (`input` as JSON
 * text); other block kinds (server tool use and results) are left out. Undefined when the
 * body is not a message.
 */
export function readMessage(body: Record<string, unknown>): Completion | undefined {
  if (body.type !== 'message' || !Array.isArray(body.content)) return undefined;
  const content: ContentBlock[] = [];
  for (const raw of body.content as Record<string, unknown>[]) {
    if (raw === null || typeof raw !== 'object') continue;
    if (raw.type === 'text' && typeof raw.text === 'string') content.push({ type: 'text', text: raw.text });
    else if (raw.type === 'thinking' && typeof raw.thinking === 'string') content.push({ type: 'reasoning', text: raw.thinking, signature: typeof raw.signature === 'string' ? raw.signature : undefined });
    else if (raw.type === 'redacted_thinking' && typeof raw.data === 'string') content.push({ type: 'redacted-reasoning', data: raw.data });
    else if (raw.type === 'tool_use' && typeof raw.id === 'string') content.push({ type: 'tool-call', id: raw.id, name: typeof raw.name === 'string' ? raw.name : '', arguments: JSON.stringify(raw.input ?? {}) });
  }
  const stopReason = typeof body.stop_reason === 'string' ? body.stop_reason : null;
  return {
    id: typeof body.id === 'string' ? body.id : undefined,
    model: typeof body.model === 'string' ? body.model : undefined,
    choices: [{ index: 0, content, finishReason: finishReasonFromAnthropic(stopReason), stopSequence: typeof body.stop_sequence === 'string' ? body.stop_sequence : undefined }],
    usage: body.usage !== null && typeof body.usage === 'object' ? usageFromAnthropic(body.usage as never) : undefined,
  };
}
