import type { CachedAnswer } from './cached-answer.js';

/**
 * Where cached answers live. The embedded store answers synchronously, so a lookup adds no
 * await to the request path; a networked one (Redis) answers with a promise. A store that
 * throws or rejects is treated as absent for that request (a miss that stores nothing).
 */
export interface ResponseCacheStore {
  get(key: string): CachedAnswer | undefined | Promise<CachedAnswer | undefined>;
  /** Stores for `ttlMs` milliseconds; may silently refuse an entry larger than the store allows. */
  set(key: string, answer: CachedAnswer, ttlMs: number): void | Promise<void>;
  /** Entries and bytes held, for metrics; undefined when the store cannot tell cheaply (a shared one). */
  readonly size: { entries: number; bytes: number } | undefined;
  /** Lets go of connections at shutdown. */
  close?(): Promise<void>;
}
