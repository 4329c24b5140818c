import type { Completion } from '../model/completion.js';

/**
 * One stored answer: the neutral completion (text, reasoning, tool calls, finish reasons,
 * usage), never the bytes of one client format, so a streamed answer serves a later
 * non-streamed request and the reverse.
 */
export interface CachedAnswer {
  completion: Completion;
  /** Wall-clock milliseconds when it was stored (for the Age header). */
  storedAt: number;
}
