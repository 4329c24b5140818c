import type { ClientFormat } from '../endpoints/endpoint.js';
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
  endStream(usage: Usage | undefined): Completion | undefined;
  /** A whole (non-streamed) answer body as sent to the client. */
  fromBody(body: Buffer): Completion | undefined;
}

/** A capture for a client format, or undefined when the cache cannot read that format back yet. */
export function createAnswerCapture(format: ClientFormat): AnswerCapture | undefined {
  return format === 'openai' ? new OpenAIAnswerCapture() : undefined;
}

/** OpenAI chat completions, read with the same reader that serves Anthropic clients from OpenAI streams. */
class OpenAIAnswerCapture implements AnswerCapture {
  readonly #reader = new OpenAIChatStreamReader();
  readonly #assembler = new CompletionAssembler();

  push(chunk: Buffer): void {
    if (chunk.length > 0) this.#assembler.push(this.#reader.push(chunk));
  }

  endStream(usage: Usage | undefined): Completion | undefined {
    this.#assembler.push(this.#reader.end());
    return worthKeeping(this.#assembler.completion(usage));
  }

  fromBody(body: Buffer): Completion | undefined {
    const json = parseJsonObject(body);
    return worthKeeping(json === undefined ? undefined : readOpenAICompletion(json));
  }
}

/** A complete answer with at least one choice, none of them withheld by a content filter. */
function worthKeeping(completion: Completion | undefined): Completion | undefined {
  if (completion === undefined || completion.choices.length === 0) return undefined;
  return completion.choices.some((choice) => choice.finishReason === 'content_filter') ? undefined : completion;
}
