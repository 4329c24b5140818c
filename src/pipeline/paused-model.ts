import { GatewayError } from '../errors.js';
import { retryAfterSeconds } from '../resilience/route-pause.js';

/** The answer while every target of a model is paused at its provider's request: 429 with Retry-After (seconds). */
export function pausedModel(alias: string, pausedMs: number): GatewayError {
  const seconds = retryAfterSeconds(pausedMs);
  return new GatewayError({
    status: 429,
    code: 'provider_paused',
    type: 'rate_limit_error',
    message: `Model '${alias}' is paused: its provider asked for no requests for now. Retry after ${seconds} s.`,
    headers: { 'retry-after': seconds },
  });
}
