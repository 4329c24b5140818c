import { toMicroUsd } from '../stores/micro-usd.js';

/** Above any model's output limit: the search's upper end when the request names no max_tokens. */
const MOST_OUTPUT_TOKENS = 100_000_000;

/**
 * The largest max_tokens whose worst-case cost fits in what is left of a budget, for a 402
 * to say what the client could send instead. Compared in micro-dollars, as the stores
 * compare a reservation with the budget.
 *
 * @param worstCaseUsd The request's worst-case cost in USD with a given max_tokens (the
 *   dearest of the targets it may reach); non-decreasing in its argument.
 * @param availableUsd What the budget has left (limit − spent − held), USD.
 * @param below Only values below this are searched (the max_tokens that did not fit), if known.
 * @returns A whole number of tokens ≥ 1, or undefined when not even 1 fits (the prompt alone
 *   may cost more than is left).
 */
export function fittingMaxTokens(worstCaseUsd: (maxTokens: number) => number, availableUsd: number, below: number | undefined): number | undefined {
  const available = toMicroUsd(availableUsd);
  const fits = (maxTokens: number) => toMicroUsd(worstCaseUsd(maxTokens)) <= available;
  if (!fits(1)) return undefined;
  let low = 1;
  let high = Math.max(1, (below ?? MOST_OUTPUT_TOKENS + 1) - 1);
  if (fits(high)) return high;
  // Invariant: fits(low) and not fits(high).
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (fits(middle)) low = middle;
    else high = middle;
  }
  return low;
}
