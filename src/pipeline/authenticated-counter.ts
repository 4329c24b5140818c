import { countAfterAuthentication } from '../capabilities/count-after-authentication.js';
import { countOnce } from '../capabilities/count-once.js';
import type { TokenCounting } from '../endpoints/endpoint.js';
import type { Exchange } from './exchange.js';

/**
 * The tokenizer for this request's checks: it counts only once the caller has authenticated,
 * and each text once (a route rule, every candidate's context window and the chosen model's
 * targets ask for the same prompt).
 */
export function authenticatedCounter(exchange: Exchange): TokenCounting {
  const { governance, tokenCounter } = exchange.dependencies;
  exchange.counter ??= countOnce(countAfterAuthentication(() => governance.identify(exchange.credential), tokenCounter));
  return exchange.counter;
}
