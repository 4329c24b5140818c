import { CACHE_STATUS_HEADER } from '../../cache/cache-directive.js';
import type { AnswerCapture } from '../../cache/answer-capture.js';
import type { Exchange } from '../exchange.js';
import type { ResponseObserver } from '../response-observer.js';

/**
 * Fills the response cache with a complete, successful answer, read back as the client gets
 * it (stages/answer-from-cache.ts set up the capture when the request's plan writes).
 */
export const cacheFill: ResponseObserver = {
  name: 'cache fill',
  onHeaders(exchange, set) {
    if (exchange.cachePlan !== undefined) set[CACHE_STATUS_HEADER] = exchange.cachePlan.status;
    // Only a successful answer is ever stored.
    if (exchange.status !== 200) exchange.capture = undefined;
  },
  onChunk(exchange, chunk) {
    if (chunk.length > 0) exchange.capture?.push(chunk);
    return chunk;
  },
  onStreamEnd(exchange) {
    const translator = exchange.translator!;
    if (exchange.capture !== undefined && translator.complete) fill(exchange, exchange.capture.endStream(translator.usage));
    return undefined;
  },
  onBody(exchange, body, received) {
    // Only a whole answer is kept: not one whose stream ended while its prompt was counted.
    if (exchange.capture !== undefined && exchange.status === 200 && exchange.lifecycle.state !== 'cancelled') fill(exchange, exchange.capture.fromBody(body ?? received));
    return body;
  },
};

/** Stores a complete answer (undefined: nothing worth keeping) for a request whose plan writes. */
function fill(exchange: Exchange, answer: ReturnType<AnswerCapture['fromBody']>): void {
  const plan = exchange.cachePlan;
  exchange.capture = undefined;
  if (answer !== undefined && plan !== undefined) exchange.dependencies.cache?.fill(plan, answer);
}
