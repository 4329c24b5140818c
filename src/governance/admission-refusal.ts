import { GatewayError } from '../errors.js';
import type { LimitState, RefusalReason } from '../stores/governance-store.js';
import { rateLimitHeaders } from './rate-limit-headers.js';
import type { VirtualKey } from './virtual-key.js';

/**
 * A refused admission, as the error the client gets: 429 for rate limits (with
 * Retry-After and x-ratelimit-*), 402 for an exhausted budget, each naming the key and the
 * limit so nobody has to guess which one was hit.
 */
export function admissionRefusal(key: VirtualKey, reason: RefusalReason, retryAfterSeconds: number | undefined, state: LimitState, reservationUsd: number): GatewayError {
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
    case 'budget': {
      const budget = state.budget!;
      const left = Math.max(0, budget.limitUsd - budget.spentUsd - budget.reservedUsd);
      const period = budget.period === 'total' ? 'total budget' : `${budget.period} budget for ${budget.periodId}`;
      const reset = budget.resetsAt === undefined ? 'It does not reset.' : `It resets at ${new Date(budget.resetsAt).toISOString()}.`;
      return new GatewayError({
        status: 402,
        code: 'budget_exceeded',
        type: 'insufficient_quota',
        param: null,
        retryable: false,
        headers,
        keyAlias: key.alias,
        message:
          `Budget exhausted for key '${key.alias}': the ${period} is ${usd(budget.limitUsd)}, ${usd(budget.spentUsd)} spent and ${usd(budget.reservedUsd)} held by requests in flight, ` +
          `leaving ${usd(left)}; this request may cost up to ${usd(reservationUsd)}. ${reset}`,
      });
    }
    default: {
      const unhandled: never = reason;
      throw new Error(`unknown refusal ${String(unhandled)}`);
    }
  }
}

function usd(amount: number): string {
  return `$${amount.toFixed(amount < 1 ? 4 : 2)}`;
}
