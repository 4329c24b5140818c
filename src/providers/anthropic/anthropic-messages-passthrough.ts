import type { AnthropicUsage } from './anthropic-api.js';
import { DeliveredOutput } from '../delivered-output.js';
import { SseDecoder } from '../../streaming/sse-decoder.js';
import { parseJsonObject } from '../parse-json.js';
import type { StreamTranslator, TranslatedResponse, UpstreamResponse } from '../provider-adapter.js';
import type { Usage } from '../usage.js';
import { usageFromAnthropic } from './usage-from-anthropic.js';

/**
 * An Anthropic Messages client served by Anthropic: the answer's bytes pass through
 * unchanged, whole or streamed, and are only read for metering. Error bodies are already in
 * the client's format and pass through too.
 */
export const anthropicMessagesPassthrough = {
  /** A whole answer: usage and model from the Message JSON (https://docs.claude.com/en/api/messages "Response"). */
  translateResponse(response: UpstreamResponse): TranslatedResponse {
    if (response.status >= 400) return { status: response.status, body: undefined, usage: undefined, model: undefined };
    const message = parseJsonObject(response.body);
    const usage = message?.usage;
    return {
      status: response.status,
      body: undefined,
      usage: usage !== null && typeof usage === 'object' ? usageFromAnthropic(usage as AnthropicUsage) : undefined,
      model: typeof message?.model === 'string' ? message.model : undefined,
    };
  },

  createStreamTranslator(): StreamTranslator {
    return new AnthropicUsageObserver();
  },
};

/**
 * Reads an Anthropic event stream (https://docs.claude.com/en/docs/build-with-claude/streaming)
 * for metering while handing every chunk back as it came (the same Buffer, so the router
 * sends Envoy no body mutation). Usage: message_start's `message.usage` (input, cache writes
 * and reads, the first output count), then each message_delta's `usage`, whose counts are
 * cumulative and replace the ones they name. The output each delta carries (text, tool names
 * and input JSON, thinking) is kept, so a stream cut before its final message_delta is metered
 * by what the client received (estimateCutShortUsage); `complete` is message_stop seen.
 */
export class AnthropicUsageObserver implements StreamTranslator {
  readonly #decoder = new SseDecoder();
  #counts: AnthropicUsage | undefined;
  #usage: Usage | undefined;
  #model: string | undefined;
  #complete = false;
  readonly #delivered = new DeliveredOutput();

  get complete(): boolean {
    return this.#complete;
  }

  get delivered(): DeliveredOutput {
    return this.#delivered;
  }

  get usage(): Usage | undefined {
    return this.#usage;
  }

  get model(): string | undefined {
    return this.#model;
  }

  push(chunk: Buffer): Buffer {
    this.#read(this.#decoder.push(chunk));
    return chunk;
  }

  end(): Buffer {
    this.#read(this.#decoder.end());
    return EMPTY;
  }

  #read(events: readonly { event?: string | undefined; data: string }[]): void {
    for (const event of events) {
      if (event.event === 'message_stop') {
        this.#complete = true;
        continue;
      }
      if (event.event !== 'message_start' && event.event !== 'message_delta' && event.event !== 'content_block_delta' && event.event !== 'content_block_start') continue;
      const data = parseJsonObject(event.data);
      if (data === undefined) continue;
      if (data.type === 'content_block_delta') {
        this.#deliver(data.delta);
      } else if (data.type === 'content_block_start') {
        const block = data.content_block as Record<string, unknown> | undefined;
        if (block?.type === 'tool_use' && typeof block.name === 'string') this.#delivered.addText(block.name);
      } else if (data.type === 'message_start') {
        const message = data.message as Record<string, unknown> | undefined;
        if (typeof message?.model === 'string') this.#model = message.model;
        this.#merge(message?.usage);
      } else if (data.type === 'message_delta') {
        this.#merge(data.usage);
      }
    }
  }

  /** https://docs.claude.com/en/docs/build-with-claude/streaming#content-block-delta-types */
  #deliver(delta: unknown): void {
    if (delta === null || typeof delta !== 'object') return;
    const { type, text, partial_json: partialJson, thinking } = delta as Record<string, unknown>;
    if (type === 'text_delta' && typeof text === 'string') this.#delivered.addText(text);
    else if (type === 'input_json_delta' && typeof partialJson === 'string') this.#delivered.addText(partialJson);
    else if (type === 'thinking_delta' && typeof thinking === 'string') this.#delivered.addReasoning(thinking);
  }

  #merge(usage: unknown): void {
    if (usage === null || typeof usage !== 'object') return;
    const merged: Record<string, unknown> = { ...(this.#counts ?? {}) };
    for (const [name, value] of Object.entries(usage)) if (value !== null && value !== undefined) merged[name] = value;
    this.#counts = merged as AnthropicUsage;
    this.#usage = usageFromAnthropic(this.#counts);
  }
}

const EMPTY = Buffer.alloc(0);
