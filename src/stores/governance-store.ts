/**
 * Shared state for governance: rate-limit windows, parallel requests, budget reservations
 * and spend, and the virtual keys created at run time. One interface, two implementations:
 * in memory (one replica, nothing to set up) and Redis (many replicas, one view). Every
 * operation that checks and changes counters does both atomically, so concurrent requests
 * (on one replica or many) can never all pass a check that only one of them should.
 */

export type BudgetPeriod = 'total' | 'daily' | 'monthly';

export interface KeyLimits {
  /** Requests admitted per minute, refilled continuously (rate-bucket.ts). */
  requestsPerMinute?: number | undefined;
  /** Metered tokens (prompt + completion) per minute, refilled continuously; a request is admitted while any are left. */
  tokensPerMinute?: number | undefined;
  /** Requests in flight at once. */
  maxParallel?: number | undefined;
  /** Spend cap in USD for the period; periods are calendar-aligned in UTC. */
  budget?: { usd: number; period: BudgetPeriod } | undefined;
}

export interface AdmissionRequest {
  keyId: string;
  /** Milliseconds since the epoch (passed in: stores read no clock). */
  now: number;
  limits: KeyLimits;
  /** Unique per request; settle() names it again. */
  reservationId: string;
  /** The most this request can cost: reserved against the budget until settled. */
  reservationUsd: number;
  /** An unsettled reservation (a replica died mid-request) is dropped after this long, freeing budget and parallel slots. */
  reservationTtlMs: number;
}

export type RefusalReason = 'requests_per_minute' | 'tokens_per_minute' | 'max_parallel' | 'budget';

/** A per-minute limit as OpenAI's x-ratelimit-* headers describe one. */
export interface WindowState {
  limit: number;
  /** How many could be used right now. */
  remaining: number;
  /** Seconds (fractional) until the limit is fully replenished, back to `limit` remaining; 0 when it is. */
  resetSeconds: number;
}

export interface BudgetState {
  limitUsd: number;
  spentUsd: number;
  reservedUsd: number;
  period: BudgetPeriod;
  /** "total", "2026-11-23" or "2026-11". */
  periodId: string;
  /** Milliseconds since the epoch when the period ends, or undefined for "total". */
  resetsAt: number | undefined;
}

export interface LimitState {
  requests: WindowState | undefined;
  tokens: WindowState | undefined;
  parallel: { limit: number; active: number } | undefined;
  budget: BudgetState | undefined;
}

export type AdmissionResult =
  | { admitted: true; state: LimitState }
  | { admitted: false; reason: RefusalReason; retryAfterSeconds: number | undefined; state: LimitState };

export interface Settlement {
  keyId: string;
  now: number;
  limits: KeyLimits;
  reservationId: string;
  /**
   * What the request actually cost (0 when it failed before any token), or undefined when
   * the model that served it has no price: the cost is unknown, recorded as such in spend
   * (unpricedRequests), never as $0.
   */
  costUsd: number | undefined;
  /** Metered prompt + completion tokens, counted into the tokens-per-minute window. */
  tokens: number;
  /**
   * The model alias asked for, for spend by model and day; undefined for a release: the
   * request never reached a provider, so its hold is freed and nothing is recorded (no
   * spend row, no request, no tokens).
   */
  model: string | undefined;
}

/** A virtual key created through the admin API; the secret itself is never stored, only its hash. */
export interface StoredKey {
  id: string;
  /** "sha256:<hex>" of the whole secret. */
  hash: string;
  alias: string;
  models: string[];
  limits: KeyLimits;
  /** Milliseconds since the epoch, or undefined for a key that never expires. */
  expiresAt: number | undefined;
  revokedAt: number | undefined;
  createdAt: number;
  metadata: Record<string, string>;
}

export interface SpendRecord {
  /** "2026-11-23" (UTC). */
  day: string;
  model: string;
  /** What the priced requests cost; null when none of the row's requests had a price (unknown, not $0). */
  usd: number | null;
  tokens: number;
  requests: number;
  /** Requests served by a model with no price, whose cost is unknown and not in `usd`. */
  unpricedRequests: number;
}

export interface GovernanceStore {
  admit(request: AdmissionRequest): Promise<AdmissionResult>;
  /**
   * Releases the reservation and records the cost and tokens (nothing but the release when
   * `model` is undefined). Settling the same reservation twice records once.
   */
  settle(settlement: Settlement): Promise<void>;
  /** The current limit state without changing it (admin API, response headers). */
  state(keyId: string, limits: KeyLimits, now: number): Promise<LimitState>;
  /** Spend by day and model for a key, days inclusive ("2026-11-01" .. "2026-11-30"). */
  spend(keyId: string, fromDay: string, toDay: string): Promise<SpendRecord[]>;
  saveKey(key: StoredKey): Promise<void>;
  getKey(id: string): Promise<StoredKey | undefined>;
  listKeys(): Promise<StoredKey[]>;
  close(): Promise<void>;
}

/** Raised by a store that cannot reach its backend; the gateway's configured policy decides what follows. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
