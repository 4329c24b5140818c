import type { LimitState } from '../stores/governance-store.js';
import { formatGoDuration } from './format-go-duration.js';

/**
 * OpenAI's rate-limit response headers (platform.openai.com/docs/guides/rate-limits), for
 * the key's own limits, meaning what OpenAI's mean: the limit, what is left of it now, and
 * x-ratelimit-reset-* the time until the limit is back to its initial state (fully
 * replenished), as a Go duration ("600ms", "1m0s"). Clients and SDKs that pace themselves
 * on them keep working.
 */
export function rateLimitHeaders(state: LimitState): Record<string, string> {
  const headers: Record<string, string> = {};
  if (state.requests) {
    headers['x-ratelimit-limit-requests'] = String(state.requests.limit);
    headers['x-ratelimit-remaining-requests'] = String(state.requests.remaining);
    headers['x-ratelimit-reset-requests'] = formatGoDuration(state.requests.resetSeconds * 1000);
  }
  if (state.tokens) {
    headers['x-ratelimit-limit-tokens'] = String(state.tokens.limit);
    headers['x-ratelimit-remaining-tokens'] = String(state.tokens.remaining);
    headers['x-ratelimit-reset-tokens'] = formatGoDuration(state.tokens.resetSeconds * 1000);
  }
  return headers;
}
