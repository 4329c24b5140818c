import type { ProcessingResponse } from '../extproc/messages.js';
import type { Exchange } from './exchange.js';

/** Hands the request's facts to Envoy's access log (dynamic metadata), on the reply that ends the response; once. */
export function withAccessLogFacts(exchange: Exchange, reply: ProcessingResponse): ProcessingResponse {
  const facts = exchange.accessLogFacts;
  if (facts === undefined) return reply;
  exchange.accessLogFacts = undefined;
  return { ...reply, dynamic_metadata: facts };
}
