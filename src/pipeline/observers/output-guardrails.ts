import type { ResponseObserver } from '../response-observer.js';

/**
 * Output guardrails (src/guardrails) on the answer in the client's format: masked values
 * restored, deny lists applied; a blocking one cuts the answer. Only requests whose guard
 * watches the answer pay anything per chunk. With a moderation model, a whole answer, or the
 * stream's chunk that finishes it, waits for the model's verdict (a promise).
 */
export const outputGuardrails: ResponseObserver = {
  name: 'output guardrails',
  onStreamStart(exchange) {
    if (exchange.guard?.watchesAnswer) exchange.answerFilter = exchange.guard.streamFilter();
  },
  onChunk(exchange, chunk, endOfStream) {
    const filter = exchange.answerFilter;
    return filter === undefined ? chunk : filter.push(chunk, endOfStream);
  },
  onBody(exchange, body, received) {
    const guard = exchange.guard;
    if (exchange.status !== 200 || !guard?.watchesAnswer) return body;
    const rewritten = guard.rewriteBody(body ?? received);
    return rewritten instanceof Promise ? rewritten.then((out) => out ?? body) : (rewritten ?? body);
  },
};
