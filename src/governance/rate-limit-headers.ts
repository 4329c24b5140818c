import type { LimitState } from '../stores/governance-store.js';

/**
 * OpenAI's rate-limit response headers (platform.openai.com/docs/guides/rate-limits), for
 * the key's own limits: clients and SDKs that pace themselves on them keep working.
 */
export function rateLimitHeaders(state: LimitState): Record<string, string> {
  const headers: Record<string, string> = {};
  if (state.requests) {
    headers['x-ratelimit-limit-requests'] = String(state.requests.limit);
    headers['x-ratelimit-remaining-requests'] = String(state.requests.remaining);
    headers['x-ratelimit-reset-requests'] = `${state.requests.resetSeconds}s`;
  }
  if (state.tokens) {
    headers['x-ratelimit-limit-tokens'] = String(state.tokens.limit);
    headers['x-ratelimit-remaining-tokens'] = String(state.tokens.remaining);
    headers['x-ratelimit-reset-tokens'] = `${state.tokens.resetSeconds}s`;
  }
  return headers;
}
