import type { Completion } from '../model/completion.js';

/**
 * One stored answer: the neutral completion (text, reasoning, tool calls, finish reasons,
 * usage), never the bytes of one client format, so a streamed answer serves a later
 * non-streamed request and the reverse.
 *
 * An endpoint whose answer is no completion (embeddings) keeps the JSON body the client was
 * sent in `body`, replayed byte for byte; its `completion` then has no choices and carries
 * only the usage (what a hit saved).
 */
export interface CachedAnswer {
  completion: Completion;
  /** The answer's JSON as sent, for endpoints replayed verbatim (embeddings); absent for completions. */
  body?: string | undefined;
  /** Wall-clock milliseconds when it was stored (for the Age header). */
  storedAt: number;
}

/** An answer read back from a response, before the cache stamps it with its storing time. */
export type CapturedAnswer = Omit<CachedAnswer, 'storedAt'>;
