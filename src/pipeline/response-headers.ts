import { hasAttemptProcessor } from '../config/runtime.js';
import { ATTEMPT_COUNT_HEADER, TARGETS_PAUSED_HEADER, TRIED_ATTRIBUTE } from '../config/envoy-contract.js';
import { isHiddenFromClient } from '../config/header-policy.js';
import { headerMutation, readHeaders } from '../extproc/headers.js';
import type { HttpHeaders, ProcessingRequest, ProcessingResponse } from '../extproc/messages.js';
import { REQUEST_ID_HEADER, requestIdHeaders, UPSTREAM_REQUEST_ID_HEADER } from '../extproc/request-id.js';
import { continueResponseHeaders, errorImmediateResponse } from '../extproc/responses.js';
import { readTried } from '../gateway/attempt-brief.js';
import { lastAttempt, type RequestContext } from '../gateway/request-context.js';
import { routePausedFor } from '../resilience/route-pause.js';
import { routingHeaders } from '../routing/routing-headers.js';
import { contentEncodingOf, StreamDecompressor } from '../streaming/decompressor.js';
import type { Exchange } from './exchange.js';
import { observedAccessLogFacts } from './observed-access-log-facts.js';
import { pausedModel } from './paused-model.js';
import type { RequestPipeline } from './request-pipeline.js';
import { withAccessLogFacts } from './with-access-log-facts.js';

/**
 * Response headers: learn which attempt answered, let the endpoint pick the translation for
 * its provider, tell the observers, and choose streamed or buffered handling of the body.
 * A response to a request the pipeline did not forward (Envoy's own reply) passes untouched,
 * but for the provider headers hidden from clients.
 */
export function onResponseHeaders(exchange: Exchange, pipeline: RequestPipeline, message: HttpHeaders, attributes?: ProcessingRequest['attributes']): ProcessingResponse {
  const context = exchange.context;
  const headers = readHeaders(message.headers);
  exchange.status = Number(headers[':status'] ?? 0);
  const set: Record<string, string> = {};
  const remove = Object.keys(headers).filter(isHiddenFromClient);
  if (context === undefined) {
    // Not a request this processor routed (Envoy's own reply): pass it on untouched.
    return continueResponseHeaders(headerMutation(set, remove));
  }
  const { lifecycle, dependencies } = exchange;
  if (lifecycle.state === 'forwarded') lifecycle.responding();
  if (hasAttemptProcessor(context.route)) recordTried(exchange, context, attributes);
  const madeFinal = headers[TARGETS_PAUSED_HEADER] !== undefined;
  if (madeFinal || exchange.status === 429 || exchange.status >= 500) {
    // A final answer whose pauses have just run out still gets the 429 (soon over), never the internal status.
    const paused = routePausedFor(context.route, dependencies.pauses) ?? (madeFinal ? 1 : undefined);
    if (paused !== undefined) return answerPaused(exchange, pipeline, context, paused);
  }
  // x-request-id names the gateway's request (Envoy sets it again, from the request); a provider's own id is passed on apart.
  const upstreamRequestId = headers[REQUEST_ID_HEADER];
  if (upstreamRequestId !== undefined && upstreamRequestId !== context.id) set[UPSTREAM_REQUEST_ID_HEADER] = upstreamRequestId;
  Object.assign(set, requestIdHeaders(context.id));
  Object.assign(set, routingHeaders(context.routeDecision, context.droppedParams, lastAttempt(context)?.target, context.droppedTurns));
  for (const observer of pipeline.observers) observer.onHeaders?.(exchange, set);
  const admission = lifecycle.admission;
  if (admission !== undefined) Object.assign(set, admission.headers);
  if (!hasAttemptProcessor(context.route)) recordRetries(context, Number(headers[ATTEMPT_COUNT_HEADER]));
  const attempt = lastAttempt(context);
  // The endpoint picks how its answer is read back, for the provider that answered.
  exchange.handling = attempt ? context.endpoint.responseHandling(dependencies.registry, attempt.target.provider.kind, context.request) : undefined;
  exchange.translation = {
    responseId: `${context.endpoint.responseIdPrefix}${context.id.replace(/-/g, '')}`,
    created: Math.floor(dependencies.clock() / 1000),
    model: attempt?.target.model ?? context.route.alias,
    includeUsage: context.includeUsage,
  };
  const eventStream = (headers['content-type'] ?? '').startsWith('text/event-stream');
  // Translation and metering need plain bytes: undo compression, and say so to the client.
  exchange.encoding = contentEncodingOf(headers['content-encoding']);
  if (exchange.encoding !== undefined) {
    remove.push('content-encoding');
    if (headers['content-length'] !== undefined) remove.push('content-length');
  }
  if (message.end_of_stream) {
    endWithoutBody(exchange, pipeline, exchange.status, false);
    return withAccessLogFacts(exchange, continueResponseHeaders(headerMutation(set, remove)));
  }
  if (exchange.status === 200 && eventStream && exchange.handling?.createStreamTranslator) {
    exchange.translator = exchange.handling.createStreamTranslator(exchange.translation);
    for (const observer of pipeline.observers) observer.onStreamStart?.(exchange);
    if (exchange.encoding !== undefined) exchange.decompressor = new StreamDecompressor(exchange.encoding);
    // Chunks are rewritten one by one, so the upstream's length no longer holds.
    else if (headers['content-length'] !== undefined) remove.push('content-length');
    if (leftToObserver(exchange)) return observed(exchange, context, continueResponseHeaders(headerMutation(set, remove), OBSERVED_BODY));
    return continueResponseHeaders(headerMutation(set, remove), { response_body_mode: 'STREAMED' });
  }
  if (leftToObserver(exchange)) return observed(exchange, context, continueResponseHeaders(headerMutation(set, remove), OBSERVED_BODY));
  return continueResponseHeaders(headerMutation(set, remove));
}

/** The reply that leaves the body to the observer carries the access log's facts known now: no later reply reaches Envoy. */
function observed(exchange: Exchange, context: RequestContext, reply: ProcessingResponse): ProcessingResponse {
  return { ...reply, dynamic_metadata: observedAccessLogFacts(exchange, context) };
}

/** The router filter skips the body: the observer filter reads it without Envoy waiting. */
const OBSERVED_BODY = Object.freeze({ response_body_mode: 'NONE' } as const);

/**
 * A marked request's 200 answer, uncompressed, is the observer's (pipeline/observation.ts); any
 * other answer (an error, which may be rewritten; a compressed one) stays the router filter's.
 */
function leftToObserver(exchange: Exchange): boolean {
  const observation = exchange.observation;
  if (observation === undefined || exchange.status !== 200 || exchange.encoding !== undefined) return false;
  observation.decide('observer');
  return observation.owner === 'observer';
}

/** The response ended with nothing for the observers to read (no body, or one that cannot be read). */
export function endWithoutBody(exchange: Exchange, pipeline: RequestPipeline, status: number, cutShort: boolean): void {
  for (const observer of pipeline.observers) observer.onEnd?.(exchange, status, cutShort);
}

/**
 * Every target of the model asked for quiet during this request (Envoy found no target to
 * try, or the attempt processor made the last answer final): a 429 with Retry-After, metered
 * once, since the request did reach a provider.
 */
function answerPaused(exchange: Exchange, pipeline: RequestPipeline, context: RequestContext, pausedMs: number): ProcessingResponse {
  exchange.status = 429;
  endWithoutBody(exchange, pipeline, 429, false);
  const reply = errorImmediateResponse(pausedModel(context.route.alias, pausedMs), exchange.clientFormat, requestIdHeaders(context.id));
  return withAccessLogFacts(exchange, reply);
}

/**
 * A multi-target model's tries, as the attempt processors wrote them into the request's dynamic
 * metadata (the last one answered): they may have run in another sidecar process, so nothing
 * about them is in this one's memory. Their wall-clock send times become this process's clock.
 */
function recordTried(exchange: Exchange, context: RequestContext, attributes: ProcessingRequest['attributes']): void {
  if (context.attempts.length > 0) return;
  const tried = readTried(attributes?.['envoy.filters.http.ext_proc']?.fields?.[TRIED_ATTRIBUTE]?.stringValue);
  const { now, clock } = exchange.dependencies;
  const offset = now() - clock();
  for (const [id, sentAt] of tried) {
    const target = context.route.targets.find((candidate) => candidate.id === id);
    if (target !== undefined) context.attempts.push({ target, startedAt: sentAt + offset });
  }
}

/** A single-target model's tries, as Envoy counted them: the same target, once per try. */
function recordRetries(context: RequestContext, count: number): void {
  const first = context.attempts[0];
  if (first === undefined || !Number.isInteger(count)) return;
  while (context.attempts.length < count) context.attempts.push(first);
}
