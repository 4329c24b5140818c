import { SseDecoder, type SseEvent } from '../../streaming/sse-decoder.js';
import { encodeSseEvent } from '../../streaming/sse-encode.js';
import type { StreamTranslator, TranslationContext } from '../provider-adapter.js';
import { usageFromOpenAI, type Usage } from '../usage.js';
import { parseJsonObject as parseObject } from '../parse-json.js';

const EMPTY = Buffer.alloc(0);
/** OpenAI puts `"usage":null` on every chunk when usage is requested; only a non-null one is worth parsing. */
const NULL_USAGE = /"usage"\s*:\s*null/;
const NULL_USAGE_ALL = /"usage"\s*:\s*null/g;
const DONE_EVENT = 'data: [DONE]\n\n';
/**
 * Whole events in exactly the form this translator writes (one `data: ` line each). A chunk
 * of only these, starting at an event boundary, re-encodes to itself, so it can go back
 * unchanged without being parsed: the common case for OpenAI-compatible upstreams.
 */
const CANONICAL_EVENTS = /^(?:data: [^\n]*\n\n)+$/;

/**
 * OpenAI-to-OpenAI streams pass through: events are re-framed but their data is untouched,
 * and only the few events that can carry usage are parsed. The gateway always asks the
 * upstream for usage (it must meter), so the usage-only chunk is removed again when the
 * client did not ask for it.
 */
export class OpenAIStreamTranslator implements StreamTranslator {
  readonly #decoder = new SseDecoder();
  readonly #context: TranslationContext;
  #usage: Usage | undefined;
  #model: string | undefined;
  /** The decoder holds nothing: everything fed so far ended with a complete event. */
  #atBoundary = true;
  /** `[DONE]` went by: the server ended the stream as OpenAI's protocol says. */
  #done = false;

  constructor(context: TranslationContext) {
    this.#context = context;
  }

  get usage(): Usage | undefined {
    return this.#usage;
  }

  get model(): string | undefined {
    return this.#model;
  }

  /** The usage chunk (which the gateway always asks for) or `[DONE]` arrived. */
  get complete(): boolean {
    return this.#done || this.#usage !== undefined;
  }

  /** Pass-through: about one token per event, counted as events by the gateway. */
  get delivered(): undefined {
    return undefined;
  }

  push(chunk: Buffer): Buffer {
    if (this.#atBoundary && this.#model !== undefined) {
      // latin1 maps bytes one to one: cheaper than UTF-8, and enough for ASCII framing and keys.
      const text = chunk.toString('latin1');
      if (CANONICAL_EVENTS.test(text) && !carriesUsage(text)) {
        // [DONE] is the last event, so it ends the last chunk: a look at the tail suffices.
        if (text.endsWith(DONE_EVENT)) this.#done = true;
        return chunk;
      }
    }
    const out = this.#emit(this.#decoder.push(chunk));
    this.#atBoundary = chunk.length >= 2 && chunk[chunk.length - 1] === 0x0a && chunk[chunk.length - 2] === 0x0a;
    return out;
  }

  end(): Buffer {
    return this.#emit(this.#decoder.end());
  }

  #emit(events: SseEvent[]): Buffer {
    if (events.length === 0) return EMPTY;
    let out = '';
    for (const event of events) out += this.#pass(event);
    return out ? Buffer.from(out, 'utf8') : EMPTY;
  }

  #pass(event: SseEvent): string {
    const { data } = event;
    if (data === '[DONE]') this.#done = true;
    if (this.#model === undefined && data.startsWith('{')) this.#model = modelOf(data);
    if (data.includes('"usage"') && !NULL_USAGE.test(data)) {
      const parsed = parseObject(data);
      const usage = usageFromOpenAI(parsed?.usage);
      if (usage) {
        this.#usage = usage;
        const choices = parsed?.choices;
        if (!this.#context.includeUsage && Array.isArray(choices) && choices.length === 0) return '';
      }
    }
    return encodeSseEvent(data, event.event);
  }
}


/** The model named by a chunk, read without parsing the whole event. Empty on Azure's first chunk. */
function modelOf(data: string): string | undefined {
  const match = /"model"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(data);
  return match?.[1] ? match[1] : undefined;
}

/** Whether any event in the text carries a non-null usage object. */
function carriesUsage(text: string): boolean {
  let mentions = 0;
  for (let at = text.indexOf('"usage"'); at !== -1; at = text.indexOf('"usage"', at + 7)) mentions += 1;
  return mentions > 0 && mentions !== (text.match(NULL_USAGE_ALL)?.length ?? 0);
}
