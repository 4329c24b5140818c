import { budgetPeriod } from './budget-period.js';
import type { KeyLimits, LimitState, RefusalReason } from './governance-store.js';
import { fromMicroUsd, toMicroUsd } from './micro-usd.js';
import { bucketHasRoom, bucketState, secondsUntilRoom } from './rate-bucket.js';

/**
 * The raw counters of one key, as either store reads them. Both stores turn them into
 * decisions and LimitState with the functions below, so they can only differ in how they
 * keep the counters, never in what the counters mean.
 */
export interface LimitCounters {
  /** The requests bucket's theoretical arrival time (rate-bucket.ts), ms since the epoch; undefined when full. */
  requests: number | undefined;
  /** The tokens bucket's, likewise. */
  tokens: number | undefined;
  /** Unexpired reservations (requests in flight). */
  active: number;
  /** Of the budget period `now` falls in. */
  spentMicroUsd: number;
  reservedMicroUsd: number;
}

/**
 * The first limit that refuses the request, checked in a fixed order, or undefined to admit.
 * The Redis admission script is the same rule in Lua; change both together.
 */
export function firstRefusal(counters: LimitCounters, limits: KeyLimits, now: number, reservationMicroUsd: number): RefusalReason | undefined {
  if (limits.requestsPerMinute !== undefined && !bucketHasRoom(counters.requests, limits.requestsPerMinute, now, 'requests')) return 'requests_per_minute';
  if (limits.tokensPerMinute !== undefined && !bucketHasRoom(counters.tokens, limits.tokensPerMinute, now, 'tokens')) return 'tokens_per_minute';
  if (limits.maxParallel !== undefined && counters.active >= limits.maxParallel) return 'max_parallel';
  if (limits.budget !== undefined && counters.spentMicroUsd + counters.reservedMicroUsd + reservationMicroUsd > toMicroUsd(limits.budget.usd)) return 'budget';
  return undefined;
}

export function limitState(counters: LimitCounters, limits: KeyLimits, now: number): LimitState {
  const budget = limits.budget;
  const period = budget ? budgetPeriod(budget.period, now) : undefined;
  return {
    requests: limits.requestsPerMinute === undefined ? undefined : bucketState(counters.requests, limits.requestsPerMinute, now),
    tokens: limits.tokensPerMinute === undefined ? undefined : bucketState(counters.tokens, limits.tokensPerMinute, now),
    parallel: limits.maxParallel === undefined ? undefined : { limit: limits.maxParallel, active: counters.active },
    budget:
      budget && period
        ? {
            limitUsd: budget.usd,
            spentUsd: fromMicroUsd(counters.spentMicroUsd),
            // A release racing a period's expiry can leave a counter a little below zero; nothing is held then.
            reservedUsd: fromMicroUsd(Math.max(0, counters.reservedMicroUsd)),
            period: budget.period,
            periodId: period.id,
            resetsAt: period.resetsAt,
          }
        : undefined,
  };
}

/** When to try again after a refusal, from the counters that refused it. */
export function retryAfterSeconds(reason: RefusalReason, counters: LimitCounters, limits: KeyLimits, now: number): number | undefined {
  switch (reason) {
    case 'requests_per_minute':
      return secondsUntilRoom(counters.requests, limits.requestsPerMinute ?? 0, now, 'requests');
    case 'tokens_per_minute':
      return secondsUntilRoom(counters.tokens, limits.tokensPerMinute ?? 0, now, 'tokens');
    case 'max_parallel':
      // A slot frees whenever any request in flight ends, which nobody can predict: poll soon.
      return 1;
    case 'budget': {
      // Requests in flight may settle for less and free budget sooner; the period's end is the time that surely helps.
      const resetsAt = limits.budget ? budgetPeriod(limits.budget.period, now).resetsAt : undefined;
      return resetsAt === undefined ? undefined : Math.max(1, Math.ceil((resetsAt - now) / 1000));
    }
    default: {
      const unhandled: never = reason;
      throw new Error(`unknown refusal ${String(unhandled)}`);
    }
  }
}
