import { GatewayError } from '../errors.js';
import type { LimitState, RefusalReason } from '../stores/governance-store.js';
import { rateLimitHeaders } from './rate-limit-headers.js';
import type { VirtualKey } from './virtual-key.js';

/**
 * What a budget refusal knows about the request itself: the largest max_tokens whose
 * worst-case cost fits in what is left (undefined when not even 1 fits).
 */
export interface BudgetFit {
  maxTokens: number | undefined;
}

/**
 * A refused admission, as the error the client gets: 429 for rate limits (with
 * Retry-After and x-ratelimit-*), 402 for a budget, each naming the key and the limit so
 * nobody has to guess which one was hit.
 */
export function admissionRefusal(key: VirtualKey, reason: RefusalReason, retryAfterSeconds: number | undefined, state: LimitState, reservationUsd: number, fit?: BudgetFit): GatewayError {
  const headers = rateLimitHeaders(state);
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  const wait = retryAfterSeconds === undefined ? '' : ` Retry after ${Math.max(1, Math.ceil(retryAfterSeconds))} s.`;
  switch (reason) {
    case 'requests_per_minute':
      return new GatewayError({ status: 429, code: 'rate_limit_exceeded', type: 'rate_limit_error', headers, keyAlias: key.alias, message: `Rate limit reached for key '${key.alias}': ${state.requests?.limit} requests per minute.${wait}` });
    case 'tokens_per_minute':
      return new GatewayError({ status: 429, code: 'rate_limit_exceeded', type: 'rate_limit_error', headers, keyAlias: key.alias, message: `Rate limit reached for key '${key.alias}': ${state.tokens?.limit} tokens per minute.${wait}` });
    case 'max_parallel':
      return new GatewayError({ status: 429, code: 'too_many_parallel_requests', type: 'rate_limit_error', headers, keyAlias: key.alias, message: `Key '${key.alias}' already has ${state.parallel?.active} requests in flight, its limit.${wait}` });
    case 'budget':
      return budgetRefusal(key, state, headers, reservationUsd, fit);
    default: {
      const unhandled: never = reason;
      throw new Error(`unknown refusal ${String(unhandled)}`);
    }
  }
}

/**
 * A 402 that says which of three things refused the request: the spend has used the budget
 * up; requests in flight hold the rest (it comes back as they settle); or the budget has
 * room, but less than this request's worst case, which is all that is reserved before a
 * request is sent (then nothing is exhausted, and a smaller max_tokens would fit).
 */
function budgetRefusal(key: VirtualKey, state: LimitState, headers: Record<string, string>, reservationUsd: number, fit: BudgetFit | undefined): GatewayError {
  const budget = state.budget!;
  const left = Math.max(0, budget.limitUsd - budget.spentUsd - budget.reservedUsd);
  const period = budget.period === 'total' ? 'total budget' : `${budget.period} budget for ${budget.periodId}`;
  const reset = budget.resetsAt === undefined ? 'It does not reset.' : `It resets at ${new Date(budget.resetsAt).toISOString()}.`;
  const accounts = `the ${period} is ${usd(budget.limitUsd)}, ${usd(budget.spentUsd)} spent and ${usd(budget.reservedUsd)} held by requests in flight, leaving ${usd(left)}`;
  let message: string;
  let param: string | null = null;
  if (budget.spentUsd >= budget.limitUsd) {
    message = `Budget exhausted for key '${key.alias}': ${accounts}. ${reset}`;
  } else if (left <= 0) {
    message = `Budget for key '${key.alias}' is fully held by requests in flight: ${accounts}. Held amounts are each request's worst case; what they do not spend comes back when they finish. ${reset}`;
  } else {
    const advice =
      fit?.maxTokens === undefined
        ? 'Not even max_tokens 1 fits: the prompt alone may cost more than is left.'
        : `A request with max_tokens (or max_completion_tokens) at most ${fit.maxTokens} fits.`;
    param = fit?.maxTokens === undefined ? null : 'max_tokens';
    message =
      `This request may cost up to ${usd(reservationUsd)} (its prompt and maximum output at the dearest price of its models), more than the ${usd(left)} left ` +
      `of key '${key.alias}'s budget: ${accounts}. Nothing was charged: a request holds its worst case until it ends. ${advice} ${reset}`;
  }
  return new GatewayError({ status: 402, code: 'budget_exceeded', type: 'insufficient_quota', param, retryable: false, headers, keyAlias: key.alias, message });
}

function usd(amount: number): string {
  return `$${amount.toFixed(amount < 1 ? 4 : 2)}`;
}
