import type { OpenAIErrorBody } from '../../errors.js';
import { SseDecoder, type SseEvent } from '../../streaming/sse-decoder.js';
import { ChatChunkEncoder } from '../../api/openai-chat/chat-chunk-encoder.js';
import type { StreamTranslator, TranslationContext } from '../provider-adapter.js';
import { DeliveredOutput } from '../delivered-output.js';
import type { Usage } from '../usage.js';
import {
  ANTHROPIC_STREAM_EVENT_TYPES,
  anthropicStreamEventSchema,
  type AnthropicContentBlock,
  type AnthropicStreamEvent,
  type AnthropicUsage,
} from './anthropic-api.js';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';
import { openAIErrorFromAnthropic } from './to-openai-error.js';
import { usageFromAnthropic } from './usage-from-anthropic.js';
import { unreadableStreamEvent as unreadable } from '../unreadable-upstream.js';

const EMPTY = Buffer.alloc(0);

/** What one SSE event turned out to be. */
type ClassifiedEvent = { kind: 'event'; event: AnthropicStreamEvent } | { kind: 'unreadable' } | { kind: 'ignored' };

/** An open thinking block, keyed by Anthropic's block index: its text so far and its signature. */
interface OpenThinking {
  thinking: string;
  signature: string;
}

/** An open tool_use block, keyed by Anthropic's block index. */
interface OpenToolCall {
  /** OpenAI's tool_calls[].index: the count of tool calls before this one. */
  openAIIndex: number;
  /** Whether any non-empty partial_json was sent, i.e. whether the client has arguments yet. */
  sentArguments: boolean;
}

/**
 * Anthropic's Messages stream (https://docs.claude.com/en/docs/build-with-claude/streaming)
 * as OpenAI chat.completion.chunk events. Anthropic frames `event: <type>\ndata: <json>`;
 * the JSON's `type` repeats the event name and is what is read. Order: message_start, then
 * per content block content_block_start, content_block_delta*, content_block_stop, then
 * message_delta (stop_reason, cumulative usage), then message_stop; ping anywhere.
 *
 * Emission:
 * - message_start yields OpenAI's opening delta `{"role":"assistant","content":""}` and
 *   records the model and the prompt usage.
 * - text_delta: `delta.content`.
 * - a tool_use block start: a tool_calls delta with id, name and empty arguments; each
 *   non-empty input_json_delta: an arguments fragment. The OpenAI index counts tool calls
 *   from 0; Anthropic's block index counts text blocks too and cannot be used. A tool
 *   without arguments streams only `partial_json: ""`, so at its content_block_stop the
 *   arguments "{}" are sent, giving the client valid JSON to parse.
 * - thinking_delta: `delta.reasoning_content`, never `content` (see convertResponseFromAnthropic).
 *   At a thinking block's content_block_stop, the whole block with its signature (from
 *   signature_delta) is sent once as `delta.thinking_blocks`, so a client can send it back; a
 *   redacted_thinking block is sent that way at its start. citations_delta and block kinds
 *   other than text, thinking and tool_use are dropped.
 * - message_delta: stop_reason and usage are recorded. Its usage is cumulative and may
 *   revise any count, input_tokens included (vercel/ai fixture
 *   anthropic-message-delta-input-tokens), so the last value of each field wins.
 * - message_stop: the finish chunk, the usage chunk (only if the client asked for
 *   include_usage), then `[DONE]`.
 * - an `error` event (Anthropic fails mid-stream after the 200, e.g. overloaded_error):
 *   OpenAI's `data: {"error":{...}}`, which openai-node raises (src/core/streaming.ts), and
 *   nothing after it, not even `[DONE]`: the client must see a failure, not a finished
 *   reply. An event whose JSON cannot be read is reported the same way.
 * - event types Anthropic adds later are skipped, as its versioning policy asks
 *   (https://docs.claude.com/en/api/versioning).
 * If the upstream ends without message_stop, the stream was cut off: no finish chunk and no
 * `[DONE]` are invented, so the client can tell; `usage` still reports what was seen,
 * `complete` stays false, and `delivered` holds the text, tool names, arguments and thinking
 * sent so far, so the gateway can count them (Anthropic's message_start output_tokens is
 * only a start value; the running count comes with message_delta at the end).
 */
export class AnthropicStreamTranslator implements StreamTranslator {
  readonly #decoder = new SseDecoder();
  readonly #context: TranslationContext;
  readonly #openToolCalls = new Map<number, OpenToolCall>();
  readonly #openThinking = new Map<number, OpenThinking>();
  #started = false;
  /** message_stop or an error was seen: nothing more is sent. */
  #ended = false;
  #toolCallCount = 0;
  #stopReason: string | null = null;
  #anthropicUsage: AnthropicUsage | undefined;
  /** Writes the OpenAI chunks; it holds the model Anthropic named, once it has. */
  readonly #encoder: ChatChunkEncoder;
  #complete = false;
  readonly #delivered = new DeliveredOutput();

  constructor(context: TranslationContext) {
    this.#context = context;
    this.#encoder = new ChatChunkEncoder(context.responseId, context.created, context.model);
  }

  get usage(): Usage | undefined {
    return this.#anthropicUsage ? usageFromAnthropic(this.#anthropicUsage) : undefined;
  }

  get model(): string | undefined {
    return this.#encoder.model;
  }

  get complete(): boolean {
    return this.#complete;
  }

  get delivered(): DeliveredOutput {
    return this.#delivered;
  }

  push(chunk: Buffer): Buffer {
    if (this.#ended) return EMPTY;
    return toBuffer(this.#translate(this.#decoder.push(chunk)));
  }

  end(): Buffer {
    if (this.#ended) return EMPTY;
    return toBuffer(this.#translate(this.#decoder.end()));
  }

  #translate(events: SseEvent[]): string {
    let out = '';
    for (const event of events) {
      if (this.#ended) break;
      const classified = classify(event.data);
      if (classified.kind === 'event') out += this.#handle(classified.event);
      else if (classified.kind === 'unreadable') out += this.#fail(unreadable());
    }
    return out;
  }

  #handle(event: AnthropicStreamEvent): string {
    switch (event.type) {
      case 'message_start':
        if (event.message.model) this.#encoder.model = event.message.model;
        if (event.message.usage) this.#recordUsage(event.message.usage);
        return this.#start();
      case 'content_block_start':
        return this.#start() + this.#blockStart(event.index, event.content_block);
      case 'content_block_delta': {
        const { delta } = event;
        if (delta.type === 'text_delta' && delta.text) {
          this.#delivered.addText(delta.text);
          return this.#start() + this.#chunk({ content: delta.text });
        }
        if (delta.type === 'thinking_delta' && delta.thinking) {
          this.#delivered.addReasoning(delta.thinking);
          const thinking = this.#openThinking.get(event.index);
          if (thinking) thinking.thinking += delta.thinking;
          return this.#start() + this.#chunk({ reasoning_content: delta.thinking });
        }
        if (delta.type === 'signature_delta' && delta.signature) {
          const thinking = this.#openThinking.get(event.index);
          if (thinking) thinking.signature += delta.signature;
          return '';
        }
        if (delta.type === 'input_json_delta' && delta.partial_json) {
          const toolCall = this.#openToolCalls.get(event.index);
          if (!toolCall) return '';
          toolCall.sentArguments = true;
          this.#delivered.addText(delta.partial_json);
          return this.#chunk({ tool_calls: [{ index: toolCall.openAIIndex, function: { arguments: delta.partial_json } }] });
        }
        return '';
      }
      case 'content_block_stop': {
        const thinking = this.#openThinking.get(event.index);
        if (thinking) {
          this.#openThinking.delete(event.index);
          return this.#chunk({ thinking_blocks: [{ type: 'thinking', thinking: thinking.thinking, signature: thinking.signature }] });
        }
        const toolCall = this.#openToolCalls.get(event.index);
        if (!toolCall) return '';
        this.#openToolCalls.delete(event.index);
        return toolCall.sentArguments ? '' : this.#chunk({ tool_calls: [{ index: toolCall.openAIIndex, function: { arguments: '{}' } }] });
      }
      case 'message_delta':
        if (event.delta.stop_reason) this.#stopReason = event.delta.stop_reason;
        if (event.usage) this.#recordUsage(event.usage);
        return '';
      case 'message_stop':
        return this.#finish();
      case 'ping':
        return '';
      case 'error':
        return this.#fail(openAIErrorFromAnthropic(event.error));
      default: {
        const unhandled: never = event;
        return unhandled;
      }
    }
  }

  /** OpenAI's opening delta, once, before anything else the client sees. */
  #start(): string {
    if (this.#started) return '';
    this.#started = true;
    return this.#chunk({ role: 'assistant', content: '' });
  }

  #blockStart(index: number, block: AnthropicContentBlock): string {
    if (block.type === 'text') {
      this.#delivered.addText(block.text ?? '');
      return block.text ? this.#chunk({ content: block.text }) : '';
    }
    if (block.type === 'thinking') {
      this.#openThinking.set(index, { thinking: block.thinking ?? '', signature: block.signature ?? '' });
      this.#delivered.addReasoning(block.thinking ?? '');
      return block.thinking ? this.#chunk({ reasoning_content: block.thinking }) : '';
    }
    if (block.type === 'redacted_thinking') return block.data ? this.#chunk({ thinking_blocks: [{ type: 'redacted_thinking', data: block.data }] }) : '';
    if (block.type !== 'tool_use') return '';
    const toolCall: OpenToolCall = { openAIIndex: this.#toolCallCount++, sentArguments: false };
    this.#openToolCalls.set(index, toolCall);
    this.#delivered.addText(block.name ?? '');
    return this.#chunk({
      tool_calls: [{ index: toolCall.openAIIndex, id: block.id ?? '', type: 'function', function: { name: block.name ?? '', arguments: '' } }],
    });
  }

  /** Keeps the last value Anthropic reported for every field. */
  #recordUsage(usage: AnthropicUsage): void {
    const reported = Object.fromEntries(Object.entries(usage).filter(([, value]) => value !== null && value !== undefined));
    this.#anthropicUsage = { ...this.#anthropicUsage, ...reported };
  }

  #finish(): string {
    this.#ended = true;
    this.#complete = true;
    let out = this.#start() + this.#chunk({}, mapAnthropicFinishReason(this.#stopReason));
    const usage = this.usage;
    if (this.#context.includeUsage && usage) out += this.#encoder.usageChunk(usage);
    return out + this.#encoder.done();
  }

  #fail(body: OpenAIErrorBody): string {
    this.#ended = true;
    return this.#encoder.error(body);
  }

  /** Anthropic's answer is one choice, without log probabilities. */
  #chunk(delta: Record<string, unknown>, finishReason: string | null = null): string {
    return this.#encoder.chunk(0, delta, finishReason, null);
  }
}

/** One SSE event's data read as Anthropic sends it; a known event type that does not parse is unreadable. */
function classify(data: string): ClassifiedEvent {
  if (data.trim() === '') return { kind: 'ignored' };
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { kind: 'unreadable' };
  }
  if (value === null || typeof value !== 'object') return { kind: 'unreadable' };
  const type = (value as Record<string, unknown>).type;
  if (typeof type !== 'string' || !ANTHROPIC_STREAM_EVENT_TYPES.has(type)) return { kind: 'ignored' };
  // Nearly every event of a stream is a text delta: checked by hand, it skips the schema (a third of
  // this translator's time per event, `make bench`). Anything else, or anything odd, goes to the schema.
  if (isTextDelta(value)) return { kind: 'event', event: value };
  const parsed = anthropicStreamEventSchema.safeParse(value);
  return parsed.success ? { kind: 'event', event: parsed.data } : { kind: 'unreadable' };
}

type TextDeltaEvent = Extract<AnthropicStreamEvent, { type: 'content_block_delta' }>;

/** `{"type":"content_block_delta","index":n,"delta":{"type":"text_delta","text":"..."}}`, exactly what the schema accepts for it. */
function isTextDelta(value: object): value is TextDeltaEvent {
  const event = value as { type?: unknown; index?: unknown; delta?: { type?: unknown; text?: unknown } | null };
  return (
    event.type === 'content_block_delta' &&
    Number.isInteger(event.index) &&
    (event.index as number) >= 0 &&
    typeof event.delta === 'object' &&
    event.delta !== null &&
    event.delta.type === 'text_delta' &&
    typeof event.delta.text === 'string'
  );
}

function toBuffer(text: string): Buffer {
  return text ? Buffer.from(text, 'utf8') : EMPTY;
}
