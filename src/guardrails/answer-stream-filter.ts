import type { ClientFormat } from '../endpoints/endpoint.js';
import type { AnswerTextChecker, OutputViolation } from './answer-text-checker.js';
import type { StreamRestorer } from './placeholder-vault.js';
import { plainOpenAIContent } from './plain-openai-chunk.js';

type Json = Record<string, unknown>;

const EVENT_END = Buffer.from('\n\n');
const EMPTY = Buffer.alloc(0);

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

  /**
   * The bytes to deliver for `chunk` (whole events only); a promise while a moderation model
   * is asked. Events the guardrails leave alone go out as the provider's bytes, and a chunk
   * left wholly alone is returned as the same Buffer (the caller then sends no body mutation).
   */
  push(chunk: Buffer, endOfStream: boolean): Buffer | Promise<Buffer> {
    const data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    const last = data.lastIndexOf(EVENT_END);
    if (last === -1 && !endOfStream) {
      this.#pending = data;
      return EMPTY;
    }
    const end = endOfStream ? data.length : last + 2;
    // A copy: a view would keep the whole chunk alive.
    this.#pending = end === data.length ? EMPTY : Buffer.from(data.subarray(end));
    return this.#events(end === data.length ? data : data.subarray(0, end), 0, undefined);
  }

  /**
   * Filters the events of `whole` from byte `start` on. `parts`: the output so far, made at
   * the first event that changes (until then, the output is `whole` itself up to `start`).
   * Stops at a finish to ask the moderation model, and goes on with its verdict.
   */
  #events(whole: Buffer, start: number, parts: Buffer[] | undefined): Buffer | Promise<Buffer> {
    const moderate = this.#options.moderate;
    let at = start;
    let out = parts;
    while (at < whole.length) {
      const found = whole.indexOf(EVENT_END, at);
      const end = found === -1 ? whole.length : found;
      const next = found === -1 ? whole.length : found + 2;
      const event = whole.toString('utf8', at, end);
      if (event.trim().length === 0) {
        // A blank event is dropped (SSE ignores it anyway).
        out ??= [whole.subarray(0, at)];
      } else if (moderate !== undefined && !this.#cut && this.#finishes(event)) {
        const text = this.#unmoderated + this.#ownText(event);
        this.#unmoderated = '';
        const from = at;
        const before = out;
        return moderate(text).then((cut) => {
          this.#moderationCut = cut;
          return this.#events(whole, next, append(before, whole, from, next, found !== -1, event, this.#filter(event)));
        });
      } else {
        out = append(out, whole, at, next, found !== -1, event, this.#filter(event));
      }
      at = next;
    }
    return out === undefined ? whole : Buffer.concat(out);
  }

  /** What replaces `event` (with its blank line; '' drops it), or undefined to deliver it as it came. */
  #filter(event: string): string | undefined {
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

  /** Restores the arguments of an OpenAI delta's tool calls in place; whether any changed. */
  #restoreToolCalls(choice: number, calls: unknown): boolean {
    if (this.#options.newArgumentRestorer === undefined || !Array.isArray(calls)) return false;
    let changed = false;
    for (const call of calls as Json[]) {
      const fn = call.function as Json | undefined;
      const given = fn?.arguments;
      if (typeof given !== 'string' || given.length === 0) continue;
      const restored = this.#argumentRestorer(choice, typeof call.index === 'number' ? call.index : 0)!.push(given);
      if (restored !== given) {
        fn!.arguments = restored;
        changed = true;
      }
    }
    return changed;
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

  /** Reports the violations to the options; whether a blocking one cut the text. */
  #blocks(violations: readonly OutputViolation[]): boolean {
    let blocked = false;
    for (const violation of violations) {
      this.#options.onViolation(violation);
      if (violation.action === 'block') blocked = true;
    }
    return blocked;
  }

  #openai(event: string): string | undefined {
    const payload = dataOf(event);
    if (payload === undefined || payload === '[DONE]') return undefined;
    const plain = this.#moderationCut ? undefined : plainOpenAIContent(payload);
    if (plain !== undefined) return this.#cut ? '' : this.#plainOpenai(payload, plain.index, plain.content);
    const chunk = parse(payload);
    if (chunk === undefined || !Array.isArray(chunk.choices) || chunk.choices.length === 0) return undefined;
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
    // Whether the client must get other bytes than the provider's: only then is the chunk written anew.
    let changed = false;
    for (const choice of chunk.choices as Json[]) {
      const index = typeof choice.index === 'number' ? choice.index : 0;
      const delta = (choice.delta ?? {}) as Json;
      const checker = this.#checker(index);
      if (delta.tool_calls !== undefined && this.#restoreToolCalls(index, delta.tool_calls)) changed = true;
      const content = delta.content;
      let text = '';
      let cut = false;
      if (typeof content === 'string') {
        if (this.#options.moderate !== undefined) this.#unmoderated += content;
        const pushed = checker.push(content);
        text = pushed.text;
        cut = this.#blocks(pushed.violations);
      }
      if (!cut && choice.finish_reason != null) {
        const tail = checker.end();
        text += tail.text;
        cut = this.#blocks(tail.violations);
      }
      if (cut) {
        blocked = true;
        changed = true;
        choice.delta = {};
        choice.finish_reason = 'content_filter';
      } else {
        if (typeof content === 'string' ? text !== content : text.length > 0) {
          delta.content = text;
          changed = true;
        }
        if (choice.finish_reason != null) {
          const held = this.#heldToolCalls(index);
          if (held.length > 0) {
            delta.tool_calls = [...(Array.isArray(delta.tool_calls) ? (delta.tool_calls as Json[]) : []), ...held];
            changed = true;
          }
        }
        choice.delta = delta;
      }
    }
    if (blocked) this.#cut = true;
    return changed ? `data: ${JSON.stringify(chunk)}\n\n` : undefined;
  }

  /** A chunk of one choice's text (plainOpenAIContent), as #openai treats it, parsed only when it must be written anew. */
  #plainOpenai(payload: string, index: number, content: string): string | undefined {
    if (this.#options.moderate !== undefined) this.#unmoderated += content;
    const pushed = this.#checker(index).push(content);
    const cut = this.#blocks(pushed.violations);
    if (!cut && pushed.text === content) return undefined;
    const chunk = JSON.parse(payload) as Json;
    const choice = (chunk.choices as Json[])[0]!;
    if (cut) {
      this.#cut = true;
      choice.delta = {};
      choice.finish_reason = 'content_filter';
    } else {
      (choice.delta as Json).content = pushed.text;
    }
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }

  #anthropic(event: string): string | undefined {
    const payload = dataOf(event);
    const message = payload === undefined ? undefined : parse(payload);
    if (message === undefined) return this.#cut ? '' : undefined;
    const index = typeof message.index === 'number' ? message.index : 0;
    switch (message.type) {
      case 'content_block_start':
        return this.#cut ? '' : undefined;
      case 'content_block_delta': {
        if (this.#cut) return '';
        const delta = message.delta as Json | undefined;
        if (delta?.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
          const restorer = this.#argumentRestorer(0, index);
          if (restorer === undefined) return undefined;
          const restored = restorer.push(delta.partial_json);
          if (restored === delta.partial_json) return undefined;
          delta.partial_json = restored;
          return anthropicEvent('content_block_delta', message);
        }
        if (delta?.type !== 'text_delta' || typeof delta.text !== 'string') return undefined;
        if (this.#options.moderate !== undefined) this.#unmoderated += delta.text;
        const pushed = this.#checker(index).push(delta.text);
        if (this.#blocks(pushed.violations)) return this.#cutAnthropic(index);
        if (pushed.text.length === 0) return '';
        if (pushed.text === delta.text) return undefined;
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
        if (checker === undefined) return undefined;
        const tail = checker.end();
        if (this.#blocks(tail.violations)) return this.#cutAnthropic(index);
        if (tail.text.length === 0) return undefined;
        return `${anthropicEvent('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: tail.text } })}${event}\n\n`;
      }
      case 'message_delta':
        if (!this.#cut) return undefined;
        message.delta = { ...((message.delta as Json | undefined) ?? {}), stop_reason: 'refusal', stop_sequence: null };
        return anthropicEvent('message_delta', message);
      default:
        return undefined;
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

/**
 * Adds one event's output to `parts` (made on the first event that differs from the
 * provider's bytes, with those before it): `output` undefined keeps the event's own bytes
 * with its blank line; an event the stream's end left without one gets it added.
 */
function append(parts: Buffer[] | undefined, whole: Buffer, from: number, next: number, terminated: boolean, event: string, output: string | undefined): Buffer[] | undefined {
  if (output === undefined && terminated) {
    parts?.push(whole.subarray(from, next));
    return parts;
  }
  const out = parts ?? [whole.subarray(0, from)];
  const text = output ?? `${event}\n\n`;
  if (text.length > 0) out.push(Buffer.from(text));
  return out;
}

/** The data of an event (its `data:` lines joined by \n; lines end with \n or \r\n), or undefined when it has none. */
function dataOf(event: string): string | undefined {
  let data: string | undefined;
  let start = 0;
  for (;;) {
    const newline = event.indexOf('\n', start);
    const end = newline === -1 ? event.length : newline;
    if (event.startsWith('data:', start)) {
      const value = event.slice(start + (event.startsWith('data: ', start) ? 6 : 5), newline > start && event.charCodeAt(newline - 1) === 13 ? newline - 1 : end);
      data = data === undefined ? value : `${data}\n${value}`;
    }
    if (newline === -1) return data;
    start = newline + 1;
  }
}

function parse(payload: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(payload);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}
