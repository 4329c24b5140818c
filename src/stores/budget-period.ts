import type { BudgetPeriod } from './governance-store.js';

export interface BudgetPeriodWindow {
  /** "total", "2026-11-23" or "2026-11". */
  id: string;
  /** Milliseconds since the epoch when the period ends, or undefined for "total". */
  resetsAt: number | undefined;
}

/**
 * The budget period that `now` falls in. Periods follow the UTC calendar (not a rolling
 * 24 h or 30 days) so every replica, the admin API and the invoice agree on what "today" is.
 */
export function budgetPeriod(period: BudgetPeriod, now: number): BudgetPeriodWindow {
  const date = new Date(now);
  switch (period) {
    case 'total':
      return { id: 'total', resetsAt: undefined };
    case 'daily':
      return { id: date.toISOString().slice(0, 10), resetsAt: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1) };
    case 'monthly':
      return { id: date.toISOString().slice(0, 7), resetsAt: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) };
    default: {
      const unhandled: never = period;
      throw new Error(`unknown budget period ${String(unhandled)}`);
    }
  }
}
