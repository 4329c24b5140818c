/** How long the stores keep what they record; both stores use the same numbers so they agree. */
export const retention = {
  /** Long enough to absorb a retried settle (a replica retrying after a timeout), short enough to stay small. */
  settledMarkerMs: 60 * 60_000,
  /** Spend by day and model answers "last year" questions. */
  spendDays: 400,
  /** A finished budget period is kept a while so reservations made in it can still be released into it. */
  budgetPeriodAfterEndMs: 7 * 24 * 60 * 60_000,
} as const;
