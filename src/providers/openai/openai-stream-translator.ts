import { SseDecoder, type SseEvent } from '../../streaming/sse-decoder.js';
import { encodeSseEvent } from '../../streaming/sse-encode.js';
import type { StreamTranslator, TranslationContext } from '../provider-adapter.js';
import { usageFromOpenAI, type Usage } from '../usage.js';
import { parseJsonObject as parseObject } from '../parse-json.js';

const EMPTY = Buffer.alloc(0);
/** OpenAI puts `"usage":null` on every chunk when usage is requested; only a non-null one is worth parsing. */
const NULL_USAGE = /"usage"\s*:\s*null/;

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

  constructor(context: TranslationContext) {
    this.#context = context;
  }

  get usage(): Usage | undefined {
    return this.#usage;
  }

  get model(): string | undefined {
    return this.#model;
  }

  push(chunk: Buffer): Buffer {
    return this.#emit(this.#decoder.push(chunk));
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
