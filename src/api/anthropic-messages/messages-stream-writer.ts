import type { StreamPart } from '../../model/stream-part.js';
import { ZERO_USAGE, type Usage } from '../../model/usage.js';
import { anthropicErrorBody } from './anthropic-error-body.js';
import { toAnthropicStopReason } from './anthropic-stop-reason.js';
import { anthropicUsage } from './anthropic-usage.js';
import type { MessageContext } from './write-message.js';

/** The content block open on the wire: the one the next delta of its kind goes into. */
type OpenBlock =
  | { kind: 'text'; index: number }
  | { kind: 'thinking'; index: number; signed: boolean }
  | { kind: 'tool_use'; index: number; callIndex: number };

/**
 * Neutral stream parts as Anthropic's Messages event stream
 * (https://docs.claude.com/en/docs/build-with-claude/streaming), for one streamed request
 * that a translated provider answers. Each event is framed `event: <type>\ndata: <json>\n\n`
 * and its JSON `type` repeats the event name.
 *
 * Emission:
 * - message_start, once, before anything else: on the `start` part, or before the first
 *   event that needs it. Its message has empty content, null stop_reason and the usage known
 *   so far (zero before any `usage` part; translated providers report usage at the end, and
 *   message_delta carries the final counts, which the SDK takes over message_start's).
 * - Content blocks, numbered 0, 1, 2... in the order they start: content_block_start, its
 *   deltas, content_block_stop. A block stays open while parts of its kind follow, and
 *   closes when another kind starts, so text -> tool call -> text gives blocks 0, 1, 2.
 *   - text-delta: text_delta into a text block (empty text opens nothing).
 *   - reasoning-delta: thinking_delta into a thinking block; reasoning-signature:
 *     signature_delta, which ends that block's thinking (more reasoning opens a new block).
 *   - redacted-reasoning: a whole redacted_thinking block.
 *   - tool-call-start: a tool_use block with `input: {}`; tool-call-delta: input_json_delta
 *     with the fragment as is (the client's SDK concatenates and parses); tool-call-end closes
 *     it. The part vocabulary keeps a call's parts contiguous; a delta for a call that is not
 *     the open block breaks that promise and is dropped rather than put in the wrong block.
 * - usage: kept; each part carries cumulative counts, the latest wins.
 * - finish: the open block's content_block_stop, message_delta (stop_reason, stop_sequence,
 *   cumulative usage), message_stop. Then nothing more.
 * - error: an `error` event with Anthropic's error body, which the SDK raises as APIError;
 *   then nothing more, not even message_stop: the client must see a failure.
 * A stream cut off (no finish, no error) gets nothing invented: no content_block_stop, no
 * message_stop, so the client can tell. `ping` events are not sent.
 *
 * Per chunk the writer does one JSON.stringify per event it emits and parses nothing.
 */
export class MessagesStreamWriter {
  readonly #context: MessageContext;
  #model: string;
  #started = false;
  #ended = false;
  #nextIndex = 0;
  #open: OpenBlock | undefined;
  #usage: Usage | undefined;

  constructor(context: MessageContext) {
    this.#context = context;
    this.#model = context.model;
  }

  /** Whether the stream is over (finish or error written): later parts are ignored. */
  get ended(): boolean {
    return this.#ended;
  }

  /** The SSE text for these parts, in order; "" when they add nothing the client sees. */
  write(parts: readonly StreamPart[]): string {
    let out = '';
    for (const part of parts) {
      if (this.#ended) break;
      // Anthropic's stream has one answer; parts of further alternatives (never asked for by an Anthropic client) are not its.
      if ('choice' in part && (part.choice ?? 0) !== 0) continue;
      out += this.#write(part);
    }
    return out;
  }

  #write(part: StreamPart): string {
    switch (part.type) {
      case 'start':
        if (this.#started) return '';
        if (part.model) this.#model = part.model;
        return this.#start();
      case 'text-delta':
        if (part.text === '') return '';
        return this.#into('text') + event('content_block_delta', `{"type":"content_block_delta","index":${this.#open!.index},"delta":{"type":"text_delta","text":${JSON.stringify(part.text)}}}`);
      case 'reasoning-delta':
        if (part.text === '') return '';
        return this.#into('thinking') + event('content_block_delta', `{"type":"content_block_delta","index":${this.#open!.index},"delta":{"type":"thinking_delta","thinking":${JSON.stringify(part.text)}}}`);
      case 'reasoning-signature': {
        const out = this.#into('thinking');
        const block = this.#open as Extract<OpenBlock, { kind: 'thinking' }>;
        block.signed = true;
        return out + event('content_block_delta', `{"type":"content_block_delta","index":${block.index},"delta":{"type":"signature_delta","signature":${JSON.stringify(part.signature)}}}`);
      }
      case 'redacted-reasoning': {
        const out = this.#start() + this.#close();
        const index = this.#nextIndex++;
        return (
          out +
          event('content_block_start', `{"type":"content_block_start","index":${index},"content_block":{"type":"redacted_thinking","data":${JSON.stringify(part.data)}}}`) +
          blockStop(index)
        );
      }
      case 'tool-call-start': {
        const out = this.#start() + this.#close();
        const index = this.#nextIndex++;
        this.#open = { kind: 'tool_use', index, callIndex: part.index };
        const block = { type: 'tool_use', id: part.id, name: part.name, input: {}, caller: { type: 'direct' } };
        return out + event('content_block_start', JSON.stringify({ type: 'content_block_start', index, content_block: block }));
      }
      case 'tool-call-delta': {
        const open = this.#open;
        if (part.argumentsDelta === '' || open?.kind !== 'tool_use' || open.callIndex !== part.index) return '';
        return event('content_block_delta', `{"type":"content_block_delta","index":${open.index},"delta":{"type":"input_json_delta","partial_json":${JSON.stringify(part.argumentsDelta)}}}`);
      }
      case 'tool-call-end':
        return this.#open?.kind === 'tool_use' && this.#open.callIndex === part.index ? this.#close() : '';
      case 'usage':
        this.#usage = part.usage;
        return '';
      case 'finish': {
        const out = this.#start() + this.#close();
        this.#ended = true;
        const stopReason = toAnthropicStopReason(part.reason);
        const delta = { stop_reason: stopReason, stop_sequence: stopReason === 'stop_sequence' ? (part.stopSequence ?? null) : null, stop_details: null, container: null };
        const usage = anthropicUsage(this.#usage ?? ZERO_USAGE);
        const deltaUsage = {
          input_tokens: usage.input_tokens,
          cache_creation_input_tokens: usage.cache_creation_input_tokens,
          cache_read_input_tokens: usage.cache_read_input_tokens,
          output_tokens: usage.output_tokens,
          output_tokens_details: usage.output_tokens_details,
          server_tool_use: null,
        };
        return out + event('message_delta', JSON.stringify({ type: 'message_delta', delta, usage: deltaUsage })) + MESSAGE_STOP;
      }
      case 'error':
        this.#ended = true;
        return event('error', JSON.stringify(anthropicErrorBody(part.failure)));
      case 'logprobs':
        // Anthropic's format has no log probabilities.
        return '';
      default: {
        const unhandled: never = part;
        return unhandled;
      }
    }
  }

  /** message_start, once. */
  #start(): string {
    if (this.#started) return '';
    this.#started = true;
    const message = {
      id: this.#context.id,
      type: 'message',
      role: 'assistant',
      model: this.#model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      stop_details: null,
      container: null,
      diagnostics: null,
      usage: anthropicUsage(this.#usage ?? ZERO_USAGE),
    };
    return event('message_start', JSON.stringify({ type: 'message_start', message }));
  }

  /** Makes an open block of this kind the current one, closing another kind's (or a signed thinking block). */
  #into(kind: 'text' | 'thinking'): string {
    const open = this.#open;
    if (open?.kind === kind && !(open.kind === 'thinking' && open.signed)) return '';
    const out = this.#start() + this.#close();
    const index = this.#nextIndex++;
    if (kind === 'text') {
      this.#open = { kind, index };
      return out + event('content_block_start', `{"type":"content_block_start","index":${index},"content_block":{"type":"text","text":"","citations":null}}`);
    }
    this.#open = { kind, index, signed: false };
    return out + event('content_block_start', `{"type":"content_block_start","index":${index},"content_block":{"type":"thinking","thinking":"","signature":""}}`);
  }

  #close(): string {
    const open = this.#open;
    if (!open) return '';
    this.#open = undefined;
    return blockStop(open.index);
  }
}

function event(type: string, data: string): string {
  return `event: ${type}\ndata: ${data}\n\n`;
}

function blockStop(index: number): string {
  return event('content_block_stop', `{"type":"content_block_stop","index":${index}}`);
}

const MESSAGE_STOP = event('message_stop', '{"type":"message_stop"}');
