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
 * One per response. Each chunk is one SSE event (`data: {...}\n\n`); the JSON is built once
 * per chunk with no intermediate envelope object.
 */
export class ChatChunkEncoder {
  readonly #id: string;
  readonly #created: number;
  readonly #fallbackModel: string;
  /** The model the provider named, once it has; until then the one the gateway expected. */
  model: string | undefined;

  /**
   * @param id the chunks' id ("chatcmpl-..."), one per response
   * @param created Unix seconds
   * @param fallbackModel reported until `model` is set
   */
  constructor(id: string, created: number, fallbackModel: string) {
    this.#id = id;
    this.#created = created;
    this.#fallbackModel = fallbackModel;
  }

  /**
   * One choice's chunk: `delta` as given, `logprobs` (null when none) and `finish_reason`
   * (null until the choice ends).
   */
  chunk(index: number, delta: Record<string, unknown>, finishReason: string | null, logprobs: unknown): string {
    return encodeSseEvent(
      JSON.stringify({
        id: this.#id,
        object: 'chat.completion.chunk',
        created: this.#created,
        model: this.model ?? this.#fallbackModel,
        choices: [{ index, delta, logprobs, finish_reason: finishReason }],
      }),
    );
  }

  /** The usage chunk OpenAI sends after every finish chunk when the client asked (stream_options.include_usage): `choices: []`. */
  usageChunk(usage: Usage): string {
    return encodeSseEvent(
      JSON.stringify({ id: this.#id, object: 'chat.completion.chunk', created: this.#created, model: this.model ?? this.#fallbackModel, choices: [], usage: usageToOpenAI(usage) }),
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
