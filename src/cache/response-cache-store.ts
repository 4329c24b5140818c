import type { CachedAnswer } from './cached-answer.js';

/**
 * Where cached answers live. Synchronous on purpose: the embedded store answers in the same
 * turn, so a lookup adds no await to the request path and the request cannot end between
 * the lookup and the answer. A networked store (Redis) needs an asynchronous variant of
 * this interface and of the router's lookup step; that is not built yet.
 * A store that throws is treated as absent for that request (a miss that stores nothing).
 */
export interface ResponseCacheStore {
  get(key: string): CachedAnswer | undefined;
  /** Stores for `ttlMs` milliseconds; may silently refuse an entry larger than the store. */
  set(key: string, answer: CachedAnswer, ttlMs: number): void;
  /** Entries and bytes held, for metrics and tests. */
  readonly size: { entries: number; bytes: number };
}
