import type { WindowState } from './governance-store.js';

/**
 * A per-minute limit as a bucket that refills continuously (the generic cell rate
 * algorithm): a limit of L per minute holds L at most, and each unit used comes back after
 * 60 s / L. One number per key and limit: the "theoretical arrival time" (tat), the moment
 * at which everything used so far will have come back. From it follow, exactly:
 * - remaining: how many could be used right now;
 * - reset: how long until the bucket is full again (what OpenAI's x-ratelimit-reset-* mean:
 *   the time until the limit is back to its initial state);
 * - retry after a refusal: how long until one more fits, never more than the window
 *   (60 s / L for requests).
 * A fixed or sliding window has no such bound: a key limited to 3 requests a minute could be
 * told to wait more than a minute. Both stores compute with these functions (the Redis
 * script repeats them in Lua with the same operations), so they decide alike.
 */
export const windowMs = 60_000;

/** Float noise (60000 / 7 × 7) must not refuse a request the limit allows; far below a millisecond. */
export const bucketTolerance = 1e-6;

/**
 * requests: a request needs room for itself (one interval).
 * tokens: tokens are known only after the response, so a request is admitted while the bucket is not empty.
 */
export type BucketRule = 'requests' | 'tokens';

/**
 * The most a token bucket may owe, past now: a response that used far more than the whole
 * limit leaves the key refused for at most one more window (60 whole seconds), not for as
 * many minutes as it overshot, which no client could have avoided: tokens are known only
 * once the response has been produced.
 */
export const maxTokenBacklogMs = 2 * windowMs - 1000;

/** Milliseconds one unit takes to come back. */
export function intervalMs(limit: number): number {
  return windowMs / limit;
}

/** How much of the window is in use, in milliseconds: 0 for a full bucket, windowMs for an empty one. */
export function backlogMs(tat: number | undefined, now: number): number {
  return tat === undefined ? 0 : Math.max(0, tat - now);
}

export function bucketHasRoom(tat: number | undefined, limit: number, now: number, rule: BucketRule): boolean {
  if (!(limit > 0)) return false;
  const backlog = backlogMs(tat, now);
  return rule === 'requests' ? backlog + intervalMs(limit) <= windowMs + bucketTolerance : backlog < windowMs - bucketTolerance;
}

/** The tat after one request is admitted. */
export function afterRequest(tat: number | undefined, limit: number, now: number): number {
  return Math.max(tat ?? now, now) + intervalMs(limit);
}

/** The tat after `tokens` metered tokens are counted (bounded by maxTokenBacklogMs). */
export function afterTokens(tat: number | undefined, limit: number, now: number, tokens: number): number {
  return Math.min(Math.max(tat ?? now, now) + tokens * intervalMs(limit), now + maxTokenBacklogMs);
}

export function bucketState(tat: number | undefined, limit: number, now: number): WindowState {
  if (!(limit > 0)) return { limit, remaining: 0, resetSeconds: windowMs / 1000 };
  const backlog = backlogMs(tat, now);
  const remaining = Math.min(limit, Math.max(0, Math.floor((windowMs - backlog) / intervalMs(limit) + bucketTolerance)));
  return { limit, remaining, resetSeconds: backlog / 1000 };
}

/**
 * Whole seconds (at least 1) until the bucket admits a request again if nothing else
 * arrived, 0 when it has room now, undefined when it never will (a limit of 0). For
 * requests at most the window's one interval; for tokens at most the window too (maxTokenBacklogMs).
 */
export function secondsUntilRoom(tat: number | undefined, limit: number, now: number, rule: BucketRule): number | undefined {
  if (!(limit > 0)) return undefined;
  if (bucketHasRoom(tat, limit, now, rule)) return 0;
  const backlog = backlogMs(tat, now);
  // requests: backlog − t + interval <= window; tokens: backlog − t < window, so the first whole second past the edge.
  const whole = rule === 'requests' ? Math.ceil((backlog + intervalMs(limit) - windowMs) / 1000 - bucketTolerance) : Math.floor((backlog - windowMs) / 1000 + bucketTolerance) + 1;
  return Math.max(1, whole);
}
