import { MessagesStreamReader } from './anthropic-messages-stream-reader.js';
import { readMessage } from './read-anthropic-message.js';
import type { ClientFormat, EndpointName } from '../endpoints/endpoint.js';
import type { CapturedAnswer } from './cached-answer.js';
import { readEmbeddingsAnswer } from './read-embeddings-answer.js';
import type { StreamPart } from '../model/stream-part.js';
import type { Completion } from '../model/completion.js';
import type { Usage } from '../model/usage.js';
import { parseJsonObject } from '../providers/parse-json.js';
import { OpenAIChatStreamReader } from '../providers/openai/openai-chat-stream-reader.js';
import { readOpenAICompletion } from '../providers/openai/read-openai-completion.js';
import { CompletionAssembler } from './completion-assembler.js';

/**
 * Reads the answer a client is being sent, in the client's format, back into a neutral
 * completion worth storing. Made only for requests the cache will store, so other requests
 * pay nothing per chunk.
 */
export interface AnswerCapture {
  /** Bytes of a streamed answer, as sent to the client (after translation). */
  push(chunk: Buffer): void;
  /** The stream ended as its protocol says; `usage` is the metered usage (the client may not have asked for it). */
  endStream(usage: Usage | undefined): CapturedAnswer | undefined;
  /** A whole (non-streamed) answer body as sent to the client. */
  fromBody(body: Buffer): CapturedAnswer | undefined;
}

/**
 * A capture for the client's format: what it was sent is read back with that format's reader.
 * Embeddings never stream; their body is kept as sent (see readEmbeddingsAnswer).
 */
export function createAnswerCapture(format: ClientFormat, endpoint?: EndpointName): AnswerCapture {
  if (endpoint === 'embeddings') return embeddingsCapture;
  return format === 'openai' ? new PartsCapture(new OpenAIChatStreamReader(), readOpenAICompletion) : new PartsCapture(new MessagesStreamReader(), readMessage);
}

/** Stateless: an embeddings answer is one JSON body. */
const embeddingsCapture: AnswerCapture = {
  push: () => {},
  endStream: () => undefined,
  fromBody: (body) => readEmbeddingsAnswer(body),
};

/** A stream reader of one client format (bytes in, neutral parts out). */
interface StreamReader {
  push(chunk: Uint8Array): StreamPart[];
  end(): StreamPart[];
}

/** Streams through the format's reader into an assembler; whole bodies through its body reader. */
class PartsCapture implements AnswerCapture {
  readonly #reader: StreamReader;
  readonly #readBody: (body: Record<string, unknown>) => Completion | undefined;
  readonly #assembler = new CompletionAssembler();

  constructor(reader: StreamReader, readBody: (body: Record<string, unknown>) => Completion | undefined) {
    this.#reader = reader;
    this.#readBody = readBody;
  }

  push(chunk: Buffer): void {
    if (chunk.length > 0) this.#assembler.push(this.#reader.push(chunk));
  }

  endStream(usage: Usage | undefined): CapturedAnswer | undefined {
    this.#assembler.push(this.#reader.end());
    return worthKeeping(this.#assembler.completion(usage));
  }

  fromBody(body: Buffer): CapturedAnswer | undefined {
    const json = parseJsonObject(body);
    return worthKeeping(json === undefined ? undefined : this.#readBody(json));
  }
}

/** A complete answer with at least one choice, none of them withheld by a content filter. */
function worthKeeping(completion: Completion | undefined): CapturedAnswer | undefined {
  if (completion === undefined || completion.choices.length === 0) return undefined;
  return completion.choices.some((choice) => choice.finishReason === 'content_filter') ? undefined : { completion };
}
