import type { FinishReason } from './finish-reason.js';
import type { TokenLogprob } from './token-logprob.js';
import type { Usage } from './usage.js';

/**
 * A whole (non-streamed) answer in neutral terms: what a provider's response reader makes
 * of a provider's JSON, and what a client format's writer turns into its own body. The
 * same content a stream's parts carry, assembled.
 */
export interface Completion {
  /** The provider's id, when it gives one. */
  id?: string | undefined;
  /** The model the provider says answered. */
  model?: string | undefined;
  /**
   * One per generated alternative (OpenAI's n, Gemini's candidateCount), by index; nearly
   * always exactly one. Client formats without alternatives (Anthropic) use the first.
   */
  choices: CompletionChoice[];
  usage?: Usage | undefined;
}

export interface CompletionChoice {
  index: number;
  /** In the order the provider produced them. */
  content: ContentBlock[];
  finishReason: FinishReason;
  stopSequence?: string | undefined;
  logprobs?: TokenLogprob[] | undefined;
}

export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string; signature?: string | undefined }
  | { type: 'redacted-reasoning'; data: string }
  /** `arguments` is the JSON text of the call's arguments, as OpenAI carries it. */
  | { type: 'tool-call'; id: string; name: string; arguments: string };
