import type { Usage } from '../../model/usage.js';
import { encodeSseEvent, SSE_DONE } from '../../streaming/sse-encode.js';
import { usageToOpenAI } from './openai-usage.js';

/**
 * The OpenAI `chat.completion.chunk` envelope of one streamed response, written in one place
 * (openai-openapi `CreateChatCompletionStreamResponse`): every chunk carries the same id,
 * object, created and model, then its choices. Every OpenAI-format stream the gateway writes
 * (ChatStreamWriter, and the Anthropic and Gemini stream translators) encodes through it,
 * so the envelope's fields and their order are the same everywhere.
 *
 * One per response. Each chunk is one SSE event (`data: {...}\n\n`): the envelope's head is
 * written once per model, and only the choice per chunk.
 */
export class ChatChunkEncoder {
  readonly #id: string;
  readonly #created: number;
  readonly #fallbackModel: string;
  #model: string | undefined;
  /**
   * `data: {"id":…,"object":"chat.completion.chunk","created":…,"model":…` as JSON.stringify
   * writes it: the same on every chunk, so written once per model rather than once per chunk.
   */
  #head: string;

  /**
   * @param id the chunks' id ("chatcmpl-..."), one per response
   * @param created Unix seconds
   * @param fallbackModel reported until `model` is set
   */
  constructor(id: string, created: number, fallbackModel: string) {
    this.#id = id;
    this.#created = created;
    this.#fallbackModel = fallbackModel;
    this.#head = this.#envelopeHead();
  }

  /** The model the provider named, once it has; until then the one the gateway expected. */
  get model(): string | undefined {
    return this.#model;
  }

  set model(value: string | undefined) {
    this.#model = value;
    this.#head = this.#envelopeHead();
  }

  #envelopeHead(): string {
    const envelope = JSON.stringify({ id: this.#id, object: 'chat.completion.chunk', created: this.#created, model: this.#model ?? this.#fallbackModel });
    return `data: ${envelope.slice(0, -1)}`;
  }

  /**
   * One choice's chunk: `delta` as given, `logprobs` (null when none) and `finish_reason`
   * (null until the choice ends).
   */
  chunk(index: number, delta: Record<string, unknown>, finishReason: string | null, logprobs: unknown): string {
    // The bytes JSON.stringify would write for the whole envelope (an undefined logprobs is left
    // out, as it leaves it out); JSON has no raw line break, so the event is one `data:` line.
    const choice = logprobs === undefined
      ? JSON.stringify({ index, delta, finish_reason: finishReason })
      : `{"index":${JSON.stringify(index)},"delta":${JSON.stringify(delta)},"logprobs":${JSON.stringify(logprobs)},"finish_reason":${JSON.stringify(finishReason)}}`;
    return `${this.#head},"choices":[${choice}]}\n\n`;
  }

  /** The usage chunk OpenAI sends after every finish chunk when the client asked (stream_options.include_usage): `choices: []`. */
  usageChunk(usage: Usage): string {
    return encodeSseEvent(
      JSON.stringify({ id: this.#id, object: 'chat.completion.chunk', created: this.#created, model: this.#model ?? this.#fallbackModel, choices: [], usage: usageToOpenAI(usage) }),
    );
  }

  /**
   * A failure mid-stream: OpenAI's `data: {"error":{...}}`, which openai-node raises; the
   * caller sends nothing after it, not even [DONE].
   */
  error(body: unknown): string {
    return encodeSseEvent(JSON.stringify(body));
  }

  /** The stream's terminator, `data: [DONE]`, sent only after a finished stream. */
  done(): string {
    return SSE_DONE;
  }
}
