import type { WindowState } from './governance-store.js';

/**
 * A per-minute limit as a sliding window approximated from two fixed one-minute windows
 * (the previous and the current): the previous window's count is weighted by how much of it
 * still lies within the last 60 s. Two counters per key instead of one entry per request,
 * and no burst of 2x the limit at a fixed window's edge.
 */
export const windowMs = 60_000;

/** Float noise (0.1 + 0.2) must not refuse a request the limit allows; far below one request or token. */
export const windowTolerance = 1e-9;

export interface WindowCounts {
  previous: number;
  current: number;
}

/**
 * requests: a request needs room for itself (estimate + 1 <= limit).
 * tokens: tokens are known only after the response, so a request is admitted while the window is below the limit.
 */
export type WindowRule = 'requests' | 'tokens';

export function windowIndex(now: number): number {
  return Math.floor(now / windowMs);
}

/** How far `now` is into its fixed window, 0 <= fraction < 1. */
export function elapsedFraction(now: number): number {
  return (now - windowIndex(now) * windowMs) / windowMs;
}

/** The sliding-window estimate. The Redis admission script computes it with the same operations in the same order, so both stores decide alike. */
export function windowEstimate(counts: WindowCounts, now: number): number {
  return counts.previous * (1 - elapsedFraction(now)) + counts.current;
}

export function windowHasRoom(counts: WindowCounts, limit: number, now: number, rule: WindowRule): boolean {
  const estimate = windowEstimate(counts, now);
  return rule === 'requests' ? estimate + 1 <= limit + windowTolerance : estimate < limit - windowTolerance;
}

export function windowState(counts: WindowCounts, limit: number, now: number, rule: WindowRule): WindowState {
  const remaining = Math.max(0, Math.floor(limit - windowEstimate(counts, now) + windowTolerance));
  // A limit that can never admit (0) has no moment of room: report a whole window.
  const resetSeconds = windowHasRoom(counts, limit, now, rule) ? 0 : (secondsUntilRoom(counts, limit, now, rule) ?? windowMs / 1000);
  return { limit, remaining, resetSeconds };
}

/**
 * Whole seconds (at least 1) until the window would admit a request again if nothing else
 * arrived, 0 when it has room now, undefined when it never will (a limit of 0).
 * The estimate falls linearly while the previous window slides out; once the current
 * window ends, its count becomes the previous one and slides out in turn.
 */
export function secondsUntilRoom(counts: WindowCounts, limit: number, now: number, rule: WindowRule): number | undefined {
  if (windowHasRoom(counts, limit, now, rule)) return 0;
  const need = rule === 'requests' ? 1 : 0;
  const windowSeconds = windowMs / 1000;
  const elapsedSeconds = elapsedFraction(now) * windowSeconds;
  const untilWindowEnds = windowSeconds - elapsedSeconds;
  let seconds: number | undefined;
  // In the current window: previous × (1 − (elapsed + t)/60) + current + need = limit.
  if (counts.previous > 0 && counts.current + need < limit + windowTolerance) {
    const inCurrentWindow = windowSeconds * (1 - (limit - need - counts.current) / counts.previous) - elapsedSeconds;
    if (inCurrentWindow < untilWindowEnds) seconds = Math.max(0, inCurrentWindow);
  }
  // In the next window, where the current count is the one sliding out: current × (1 − s/60) + need = limit.
  const roomOnceEmpty = rule === 'requests' ? limit >= 1 : limit > 0;
  if (seconds === undefined && roomOnceEmpty) {
    const inNextWindow = counts.current > 0 ? Math.max(0, windowSeconds * (1 - (limit - need) / counts.current)) : 0;
    seconds = untilWindowEnds + inNextWindow;
  }
  if (seconds === undefined) return undefined;
  // Tokens need the estimate strictly below the limit: at the boundary itself there is no room yet.
  const whole = rule === 'requests' ? Math.ceil(seconds - windowTolerance) : Math.floor(seconds + windowTolerance) + 1;
  return Math.max(1, whole);
}
