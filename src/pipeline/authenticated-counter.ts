import { countAfterAuthentication } from '../capabilities/count-after-authentication.js';
import type { Exchange } from './exchange.js';

/** The tokenizer for this request's checks: it counts only once the caller has authenticated. */
export function authenticatedCounter(exchange: Exchange) {
  const { governance, tokenCounter } = exchange.dependencies;
  return countAfterAuthentication(() => governance.identify(exchange.credential), tokenCounter);
}
