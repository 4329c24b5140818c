import type { ClientFormat } from '../endpoints/endpoint.js';
import type { AnswerTextChecker, OutputViolation } from './answer-text-checker.js';
import type { StreamRestorer } from './placeholder-vault.js';

type Json = Record<string, unknown>;

const EVENT_END = Buffer.from('\n\n');

/** What the filter needs per request: a checker per choice or content block, and where violations go. */
export interface AnswerFilterOptions {
  newChecker: () => AnswerTextChecker;
  /** Each deny-list match; a `block` one has just cut the answer. */
  onViolation: (violation: OutputViolation) => void;
  /** A restorer (JSON mode) per tool call's arguments; absent: tool-call deltas pass unchanged (nothing was masked). */
  newArgumentRestorer?: (() => StreamRestorer) | undefined;
  /**
   * Asks the moderation guardrails about answer text (as the provider wrote it: placeholders,
   * not the values they stand for); true: cut the answer. Never rejects (on_error is applied
   * by the caller). Absent: no moderation.
   */
  moderate?: ((text: string) => Promise<boolean>) | undefined;
}

/** A chunk whose choice finished (`"finish_reason":"stop"`; null is not a string), with or without spaces. */
const OPENAI_FINISH = /"finish_reason":\s*"/;
const ANTHROPIC_BLOCK_STOP = /"type":\s*"content_block_stop"/;

/**
 * Applies output guardrails to a stream in the client's format, event by event (an event
 * split across chunks is kept until it is whole): text deltas are restored and checked.
 * A blocking match ends the answer there: OpenAI gets a chunk with `finish_reason:
 * "content_filter"`, Anthropic a `content_block_stop` and then `stop_reason: "refusal"` in
 * its message_delta. The provider's stream still runs to its end (so its usage is metered
 * once, exactly); its later content is dropped, usage chunks and the stream's end pass.
 *
 * With a moderation model, the answer's text is asked about before it is finished: OpenAI,
 * before the first chunk with a `finish_reason` (and the hold-back text that goes out with
 * it); Anthropic, before each text block's `content_block_stop` (that block's text). Until
 * the verdict, later bytes wait. A cut then ends the answer as a blocking match does.
 */
export class AnswerStreamFilter {
  readonly #format: ClientFormat;
  readonly #options: AnswerFilterOptions;
  readonly #checkers = new Map<number, AnswerTextChecker>();
  /** Argument restorers by choice index, then tool call index (OpenAI), or by content block index (Anthropic, choice 0). */
  readonly #arguments = new Map<number, Map<number, StreamRestorer>>();
  #pending: Buffer = Buffer.alloc(0);
  #cut = false;
  /** Text not yet moderated (OpenAI: the whole answer; Anthropic: the current text block). */
  #unmoderated = '';
  /** OpenAI: the answer was moderated (once, at the first finish). */
  #moderated = false;
  /** The moderation verdict was to cut: the next finish event ends the answer. */
  #moderationCut = false;

  constructor(format: ClientFormat, options: AnswerFilterOptions) {
    this.#format = format;
    this.#options = options;
  }

  /** Whether a blocking match has ended the answer. */
  get cut(): boolean {
    return this.#cut;
  }

  /** The bytes to deliver for `chunk` (whole events only); a promise while a moderation model is asked. */
  push(chunk: Buffer, endOfStream: boolean): Buffer | Promise<Buffer> {
    const data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    const last = data.lastIndexOf(EVENT_END);
    if (last === -1 && !endOfStream) {
      this.#pending = data;
      return Buffer.alloc(0);
    }
    const whole = endOfStream ? data : data.subarray(0, last + 2);
    this.#pending = endOfStream ? Buffer.alloc(0) : Buffer.from(data.subarray(last + 2));
    const events = whole.toString('utf8').split(/\n\n/);
    return this.#events(events, 0, '');
  }

  /** Filters `events` from `from` on after `out`; stops at a finish to ask the moderation model, and goes on with its verdict. */
  #events(events: string[], from: number, out: string): Buffer | Promise<Buffer> {
    const moderate = this.#options.moderate;
    for (let at = from; at < events.length; at += 1) {
      const event = events[at]!;
      if (event.trim().length === 0) continue;
      if (moderate !== undefined && !this.#cut && this.#finishes(event)) {
        const text = this.#unmoderated + this.#ownText(event);
        this.#unmoderated = '';
        return moderate(text).then((cut) => {
          this.#moderationCut = cut;
          return this.#events(events, at + 1, out + this.#filter(event));
        });
      }
      out += this.#filter(event);
    }
    return Buffer.from(out);
  }

  #filter(event: string): string {
    return this.#format === 'openai' ? this.#openai(event) : this.#anthropic(event);
  }

  /** The text an OpenAI finish chunk carries itself (some servers send the last words with the finish). */
  #ownText(event: string): string {
    if (this.#format !== 'openai') return '';
    const chunk = parse(dataOf(event) ?? '');
    if (!Array.isArray(chunk?.choices)) return '';
    return (chunk.choices as Json[]).map((choice) => ((choice.delta as Json | undefined)?.content as unknown)).filter((content): content is string => typeof content === 'string').join('');
  }

  /** Whether `event` is where the moderation model is asked (its text not asked about yet). */
  #finishes(event: string): boolean {
    if (this.#format === 'openai') {
      if (this.#moderated || !OPENAI_FINISH.test(event)) return false;
      this.#moderated = true;
      return true;
    }
    if (!ANTHROPIC_BLOCK_STOP.test(event)) return false;
    const stop = parse(dataOf(event) ?? '');
    return typeof stop?.index === 'number' && this.#checkers.has(stop.index);
  }

  #checker(index: number): AnswerTextChecker {
    let checker = this.#checkers.get(index);
    if (checker === undefined) {
      checker = this.#options.newChecker();
      this.#checkers.set(index, checker);
    }
    return checker;
  }

  #argumentRestorer(choice: number, call: number): StreamRestorer | undefined {
    const create = this.#options.newArgumentRestorer;
    if (create === undefined) return undefined;
    let calls = this.#arguments.get(choice);
    if (calls === undefined) {
      calls = new Map();
      this.#arguments.set(choice, calls);
    }
    let restorer = calls.get(call);
    if (restorer === undefined) {
      restorer = create();
      calls.set(call, restorer);
    }
    return restorer;
  }

  /** Restores the arguments of an OpenAI delta's tool calls in place. */
  #restoreToolCalls(choice: number, calls: unknown): void {
    if (this.#options.newArgumentRestorer === undefined || !Array.isArray(calls)) return;
    for (const call of calls as Json[]) {
      const fn = call.function as Json | undefined;
      if (typeof fn?.arguments !== 'string' || fn.arguments.length === 0) continue;
      fn.arguments = this.#argumentRestorer(choice, typeof call.index === 'number' ? call.index : 0)!.push(fn.arguments);
    }
  }

  /** What the choice's argument restorers still hold, as tool-call deltas (OpenAI), to go out with its finish chunk. */
  #heldToolCalls(choice: number): Json[] {
    const calls = this.#arguments.get(choice);
    if (calls === undefined) return [];
    this.#arguments.delete(choice);
    const held: Json[] = [];
    for (const [index, restorer] of calls) {
      const tail = restorer.end();
      if (tail.length > 0) held.push({ index, function: { arguments: tail } });
    }
    return held;
  }

  /** Restored text and whether a blocking match cut it (reported to the options). */
  #check(result: { text: string; violations: OutputViolation[] }): { text: string; blocked: boolean } {
    let blocked = false;
    for (const violation of result.violations) {
      this.#options.onViolation(violation);
      if (violation.action === 'block') blocked = true;
    }
    return { text: result.text, blocked };
  }

  #openai(event: string): string {
    const payload = dataOf(event);
    if (payload === undefined || payload === '[DONE]') return `${event}\n\n`;
    const chunk = parse(payload);
    if (chunk === undefined || !Array.isArray(chunk.choices) || chunk.choices.length === 0) return `${event}\n\n`;
    if (this.#moderationCut) {
      // The moderation model flagged the answer: this finish chunk ends every choice, held text and all.
      this.#moderationCut = false;
      this.#cut = true;
      for (const choice of chunk.choices as Json[]) {
        choice.delta = {};
        choice.finish_reason = 'content_filter';
      }
      return `data: ${JSON.stringify(chunk)}\n\n`;
    }
    if (this.#cut) return '';
    let blocked = false;
    for (const choice of chunk.choices as Json[]) {
      const index = typeof choice.index === 'number' ? choice.index : 0;
      const delta = (choice.delta ?? {}) as Json;
      const checker = this.#checker(index);
      if (delta.tool_calls !== undefined) this.#restoreToolCalls(index, delta.tool_calls);
      let text = '';
      let cut = false;
      if (typeof delta.content === 'string') {
        if (this.#options.moderate !== undefined) this.#unmoderated += delta.content;
        const pushed = this.#check(checker.push(delta.content));
        text = pushed.text;
        cut = pushed.blocked;
      }
      if (!cut && choice.finish_reason != null) {
        const tail = this.#check(checker.end());
        text += tail.text;
        cut = tail.blocked;
      }
      if (cut) {
        blocked = true;
        choice.delta = {};
        choice.finish_reason = 'content_filter';
      } else {
        if (typeof delta.content === 'string' || text.length > 0) delta.content = text;
        if (choice.finish_reason != null) {
          const held = this.#heldToolCalls(index);
          if (held.length > 0) delta.tool_calls = [...(Array.isArray(delta.tool_calls) ? (delta.tool_calls as Json[]) : []), ...held];
        }
        choice.delta = delta;
      }
    }
    if (blocked) this.#cut = true;
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }

  #anthropic(event: string): string {
    const payload = dataOf(event);
    const message = payload === undefined ? undefined : parse(payload);
    if (message === undefined) return this.#cut ? '' : `${event}\n\n`;
    const index = typeof message.index === 'number' ? message.index : 0;
    switch (message.type) {
      case 'content_block_start':
        return this.#cut ? '' : `${event}\n\n`;
      case 'content_block_delta': {
        if (this.#cut) return '';
        const delta = message.delta as Json | undefined;
        if (delta?.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
          const restorer = this.#argumentRestorer(0, index);
          if (restorer === undefined) return `${event}\n\n`;
          delta.partial_json = restorer.push(delta.partial_json);
          return anthropicEvent('content_block_delta', message);
        }
        if (delta?.type !== 'text_delta' || typeof delta.text !== 'string') return `${event}\n\n`;
        if (this.#options.moderate !== undefined) this.#unmoderated += delta.text;
        const pushed = this.#check(this.#checker(index).push(delta.text));
        if (pushed.blocked) return this.#cutAnthropic(index);
        if (pushed.text.length === 0) return '';
        delta.text = pushed.text;
        return anthropicEvent('content_block_delta', message);
      }
      case 'content_block_stop': {
        if (this.#cut) return '';
        if (this.#moderationCut) {
          this.#moderationCut = false;
          return this.#cutAnthropic(index);
        }
        const argumentsHeld = this.#arguments.get(0)?.get(index)?.end() ?? '';
        if (argumentsHeld.length > 0) return `${anthropicEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: argumentsHeld } })}${event}\n\n`;
        const checker = this.#checkers.get(index);
        if (checker === undefined) return `${event}\n\n`;
        const tail = this.#check(checker.end());
        if (tail.blocked) return this.#cutAnthropic(index);
        const held = tail.text.length > 0 ? anthropicEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: tail.text } }) : '';
        return `${held}${event}\n\n`;
      }
      case 'message_delta':
        if (!this.#cut) return `${event}\n\n`;
        message.delta = { ...((message.delta as Json | undefined) ?? {}), stop_reason: 'refusal', stop_sequence: null };
        return anthropicEvent('message_delta', message);
      default:
        return `${event}\n\n`;
    }
  }

  #cutAnthropic(index: number): string {
    this.#cut = true;
    return anthropicEvent('content_block_stop', { type: 'content_block_stop', index });
  }
}

function anthropicEvent(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The data of an event (its `data:` lines joined), or undefined when it has none. */
function dataOf(event: string): string | undefined {
  const lines = event.split(/\r?\n/).filter((line) => line.startsWith('data:'));
  if (lines.length === 0) return undefined;
  return lines.map((line) => line.slice(line.startsWith('data: ') ? 6 : 5)).join('\n');
}

function parse(payload: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(payload);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}
