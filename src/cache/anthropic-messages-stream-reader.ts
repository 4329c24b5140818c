import type { StreamPart } from '../model/stream-part.js';
import { usageFromAnthropic } from '../providers/anthropic/usage-from-anthropic.js';
import { parseJsonObject } from '../providers/parse-json.js';
import { SseDecoder } from '../streaming/sse-decoder.js';
import { finishReasonFromAnthropic } from '../api/anthropic-messages/anthropic-stop-reason.js';

type Json = Record<string, unknown>;

/**
 * Anthropic's Messages event stream (https://docs.claude.com/en/docs/build-with-claude/streaming)
 * as neutral stream parts, for the response cache, which stores what a Messages client was
 * sent (an Anthropic provider's bytes, or MessagesStreamWriter's):
 * - message_start: start (id, model); its usage is the first count.
 * - content_block_start: text and thinking open a block; redacted_thinking is a whole part;
 *   tool_use is tool-call-start (calls numbered 0, 1... in order); other kinds are skipped.
 * - content_block_delta: text_delta, thinking_delta, signature_delta, input_json_delta.
 * - content_block_stop: tool-call-end for a tool_use block.
 * - message_delta: the stop reason and the cumulative usage (its fields over message_start's).
 * - message_stop: usage, then finish. A stream without it has no finish: it was cut off.
 * - error: an error part; nothing after it counts.
 */
export class MessagesStreamReader {
  readonly #decoder = new SseDecoder();
  /** Content block index -> tool call index, for the tool_use blocks. */
  readonly #calls = new Map<number, number>();
  #usage: Json = {};
  #stopReason: string | null = null;
  #stopSequence: string | undefined;
  #failed = false;

  push(chunk: Uint8Array): StreamPart[] {
    return this.#read(this.#decoder.push(chunk));
  }

  end(): StreamPart[] {
    return this.#read(this.#decoder.end());
  }

  #read(events: readonly { data: string }[]): StreamPart[] {
    const parts: StreamPart[] = [];
    for (const event of events) {
      if (this.#failed) break;
      const data = parseJsonObject(event.data);
      if (data !== undefined) this.#event(data, parts);
    }
    return parts;
  }

  #event(data: Json, parts: StreamPart[]): void {
    switch (data.type) {
      case 'message_start': {
        const message = (data.message ?? {}) as Json;
        this.#mergeUsage(message.usage);
        parts.push({ type: 'start', id: typeof message.id === 'string' ? message.id : undefined, model: typeof message.model === 'string' ? message.model : undefined });
        return;
      }
      case 'content_block_start': {
        const block = (data.content_block ?? {}) as Json;
        const index = typeof data.index === 'number' ? data.index : -1;
        if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') parts.push({ type: 'text-delta', text: block.text });
        else if (block.type === 'redacted_thinking' && typeof block.data === 'string') parts.push({ type: 'redacted-reasoning', data: block.data });
        else if (block.type === 'tool_use') {
          const call = this.#calls.size;
          this.#calls.set(index, call);
          parts.push({ type: 'tool-call-start', index: call, id: typeof block.id === 'string' ? block.id : `call_${call}`, name: typeof block.name === 'string' ? block.name : '' });
        }
        return;
      }
      case 'content_block_delta': {
        const delta = (data.delta ?? {}) as Json;
        if (delta.type === 'text_delta' && typeof delta.text === 'string') parts.push({ type: 'text-delta', text: delta.text });
        else if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string') parts.push({ type: 'reasoning-delta', text: delta.thinking });
        else if (delta.type === 'signature_delta' && typeof delta.signature === 'string') parts.push({ type: 'reasoning-signature', signature: delta.signature });
        else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
          const call = this.#calls.get(typeof data.index === 'number' ? data.index : -1);
          if (call !== undefined) parts.push({ type: 'tool-call-delta', index: call, argumentsDelta: delta.partial_json });
        }
        return;
      }
      case 'content_block_stop': {
        const call = this.#calls.get(typeof data.index === 'number' ? data.index : -1);
        if (call !== undefined) parts.push({ type: 'tool-call-end', index: call });
        return;
      }
      case 'message_delta': {
        const delta = (data.delta ?? {}) as Json;
        if (typeof delta.stop_reason === 'string') this.#stopReason = delta.stop_reason;
        if (typeof delta.stop_sequence === 'string') this.#stopSequence = delta.stop_sequence;
        this.#mergeUsage(data.usage);
        return;
      }
      case 'message_stop':
        parts.push({ type: 'usage', usage: usageFromAnthropic(this.#usage as never) });
        parts.push({ type: 'finish', reason: finishReasonFromAnthropic(this.#stopReason), stopSequence: this.#stopSequence });
        return;
      case 'error': {
        this.#failed = true;
        const error = (data.error ?? {}) as Json;
        parts.push({ type: 'error', failure: { status: 500, kind: 'server', message: typeof error.message === 'string' ? error.message : 'stream error' } });
        return;
      }
      default:
        return;
    }
  }

  /** Anthropic's usage fields, the later non-null ones over the earlier (message_delta's are cumulative). */
  #mergeUsage(usage: unknown): void {
    if (usage === null || typeof usage !== 'object') return;
    for (const [name, value] of Object.entries(usage)) if (value !== null && value !== undefined) this.#usage[name] = value;
  }
}
