import type { TargetRuntime } from '../config/runtime.js';
import { CONTENT_LENGTH_METADATA_KEY, IMMEDIATE_HEALTH_CHECK_FAIL_HEADER, METADATA_NAMESPACE, REQUEST_ID_ATTRIBUTE, TARGET_ATTRIBUTE, TARGETS_PAUSED_HEADER } from '../config/envoy-contract.js';
import type { RequestContext } from '../gateway/request-context.js';
import type { RequestStore } from '../gateway/request-store.js';
import type { Logger } from '../observability/logger.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { readBackOff, type BackOffRules } from '../resilience/read-back-off.js';
import { routePausedFor } from '../resilience/route-pause.js';
import type { TargetPauses } from '../resilience/target-pauses.js';
import { headerMutation, readHeaders } from './headers.js';
import type { HttpBody, HttpHeaders, ProcessingRequest, ProcessingResponse } from './messages.js';
import { toProtoStruct } from './proto-struct.js';
import { continueResponseHeaders, replaceRequest, responseBody } from './responses.js';
import type { StreamProcessor } from './stream-processor.js';
import { upstreamRequestMutation } from './upstream-request-mutation.js';

/** The status that carries TARGETS_PAUSED_HEADER: a 4xx that is not 429, so no retry_on matches it. */
export const PAUSED_STATUS = '409';
/** Gemini says how long to wait only in its error body (RetryInfo). */
const BODY_SIGNALS_KINDS = new Set(['gemini']);

export interface AttemptProcessorDependencies {
  store: RequestStore<RequestContext>;
  registry: ProviderRegistry;
  now: () => number;
  /** Wall-clock milliseconds (Date.now), for Retry-After given as an HTTP-date. */
  clock: () => number;
  pauses: TargetPauses;
  backOff: BackOffRules;
  /** A provider asked for a pause (for llm_gateway_target_pauses_total): the model asked for, and its target. */
  onPause?: (model: string, target: TargetRuntime, milliseconds: number) => void;
  /** For a debug line per attempt; omitted, or above debug, costs nothing. */
  logger?: Logger;
}

/**
 * The upstream-level processor: Envoy runs it once per attempt, after it has picked the
 * endpoint, so a retry that lands on another provider is translated for that provider.
 *
 * Request headers (models with several targets): it answers CONTINUE_AND_REPLACE with the
 * provider's body, path and credential. Envoy ignores ImmediateResponse from upstream
 * filters, so anything wrong here (a paused target included) fails the stream, which Envoy
 * (failure_mode_allow: false) turns into a 5xx: nothing is ever forwarded untranslated,
 * unauthenticated, or to a target that asked for quiet.
 *
 * Response headers (every model; Envoy leaves successes out, see render-envoy): a provider's
 * explicit request to pause (readBackOff) pauses the target. Envoy's own Retry-After handling is taken out of the way (it falls back to a
 * 100 ms backoff above retry_after_max and would hit the target again): the retry-after
 * headers are removed, and the host is marked as failing its health check, so the retry goes
 * at once to a target that is not paused, the next fallback level included. When every
 * target is paused, the answer is made final (TARGETS_PAUSED_HEADER) and the router
 * processor answers 429 with Retry-After. Gemini puts its delay in the error body only: for
 * its failures the body is read first, and the headers changed with the body reply.
 */
export class AttemptProcessor implements StreamProcessor {
  readonly #dependencies: AttemptProcessorDependencies;
  #context: RequestContext | undefined;
  #target: TargetRuntime | undefined;
  #responseStatus = 0;
  #responseHeaders: Record<string, string> = {};

  constructor(dependencies: AttemptProcessorDependencies) {
    this.#dependencies = dependencies;
  }

  handle(request: ProcessingRequest): ProcessingResponse {
    if (request.request === 'request_headers') return this.#onRequestHeaders(request);
    if (request.request === 'response_headers') return this.#onResponseHeaders(request.response_headers ?? {}, request.attributes);
    if (request.request === 'response_body') return this.#onResponseBody(request.response_body ?? {});
    throw new Error(`attempt processor got an unexpected ${request.request ?? 'empty'} message`);
  }

  close(): void {}

  #onRequestHeaders(request: ProcessingRequest): ProcessingResponse {
    // Envoy gives every attempt the same header map, so headers removed by one attempt are gone for
    // the next; the request id therefore travels as the router's dynamic metadata, which no client can set.
    const { context, target } = this.#locate(request.attributes, true);
    this.#context = context;
    this.#target = target;
    const paused = this.#dependencies.pauses.remaining(target.id);
    if (paused > 0) throw new Error(`target ${target.id} is paused for ${Math.ceil(paused)} ms at its provider's request; not sent`);
    // A target that cannot serve the request fails this attempt (Envoy then tries the next one) rather than being sent it.
    const skipped = context.skipped?.get(target.id);
    if (skipped !== undefined) throw new Error(`target ${target.id} cannot serve this request (${skipped.reason.code}); not sent`);
    const upstream = context.prepared.get(target.id) ?? context.endpoint.buildUpstream(this.#dependencies.registry, context.request, target);
    context.attempts.push({ target, startedAt: this.#dependencies.now() });
    const { logger } = this.#dependencies;
    if (logger?.isLevelEnabled('debug')) {
      logger.debug(
        { request_id: context.id, model: context.route.alias, attempt: context.attempts.length, target: target.id, provider: target.provider.name, model_sent: target.model, path: upstream.path, body_bytes: upstream.body.length },
        'attempt written',
      );
    }
    const reply = replaceRequest(upstreamRequestMutation(upstream), upstream.body);
    // CONTINUE_AND_REPLACE drops content-length; the header_mutation upstream filter puts it back from this.
    reply.dynamic_metadata = toProtoStruct({ [METADATA_NAMESPACE]: { [CONTENT_LENGTH_METADATA_KEY]: String(upstream.body.length) } });
    return reply;
  }

  #onResponseHeaders(message: HttpHeaders, attributes: ProcessingRequest['attributes']): ProcessingResponse {
    const headers = readHeaders(message.headers);
    const status = Number(headers[':status'] ?? 0);
    if (status !== 429 && status < 500) return continueResponseHeaders();
    // A model with one target sends no request headers here: the attempt is named now.
    if (this.#target === undefined) {
      const located = this.#locate(attributes, false);
      this.#context = located.context;
      this.#target = located.target;
    }
    if (this.#target === undefined) return continueResponseHeaders();
    const { clock, backOff } = this.#dependencies;
    const pause = readBackOff(status, headers, undefined, clock(), backOff);
    if (pause === undefined && BODY_SIGNALS_KINDS.has(this.#target.provider.kind) && !message.end_of_stream) {
      // Read the error body first; the headers wait for its reply, which can still change them.
      this.#responseStatus = status;
      this.#responseHeaders = headers;
      return continueResponseHeaders(undefined, { response_body_mode: 'BUFFERED' });
    }
    return continueResponseHeaders(this.#pauseMutation(pause));
  }

  #onResponseBody(message: HttpBody): ProcessingResponse {
    if (this.#target === undefined || this.#responseStatus === 0) return responseBody();
    const pause = readBackOff(this.#responseStatus, this.#responseHeaders, message.body, this.#dependencies.clock(), this.#dependencies.backOff);
    return responseBody(undefined, this.#pauseMutation(pause));
  }

  /** Records a pause, and tells Envoy how to go on: elsewhere at once, or nowhere (the router answers 429). */
  #pauseMutation(pause: number | undefined): ReturnType<typeof headerMutation> | undefined {
    const target = this.#target!;
    if (pause === undefined) return undefined;
    const { pauses, onPause } = this.#dependencies;
    pauses.pause(target.id, pause);
    onPause?.(this.#context?.route.alias ?? target.id, target, pause);
    const set: Record<string, string> = { [IMMEDIATE_HEALTH_CHECK_FAIL_HEADER]: 'true' };
    if (this.#context !== undefined && routePausedFor(this.#context.route, pauses) !== undefined) {
      set[':status'] = PAUSED_STATUS;
      set[TARGETS_PAUSED_HEADER] = '1';
    }
    return headerMutation(set, ['retry-after', 'retry-after-ms']);
  }

  /** The request and the target Envoy chose, from the attributes the renderer asks for. */
  #locate(attributes: ProcessingRequest['attributes'], required: true): { context: RequestContext; target: TargetRuntime };
  #locate(attributes: ProcessingRequest['attributes'], required: false): { context: RequestContext | undefined; target: TargetRuntime | undefined };
  #locate(attributes: ProcessingRequest['attributes'], required: boolean): { context: RequestContext | undefined; target: TargetRuntime | undefined } {
    const fields = attributes?.['envoy.filters.http.ext_proc']?.fields;
    const id = fields?.[REQUEST_ID_ATTRIBUTE]?.stringValue;
    const context = id === undefined ? undefined : this.#dependencies.store.get(id);
    const targetId = fields?.[TARGET_ATTRIBUTE]?.stringValue;
    if (context === undefined) {
      if (required) throw new Error('attempt for an unknown or expired request');
      return { context: undefined, target: undefined };
    }
    const target = context.route.targets.find((candidate) => candidate.id === targetId);
    if (target === undefined && required) {
      throw new Error(`attempt names no target of model ${context.route.alias} (got ${JSON.stringify(targetId ?? null)})`);
    }
    return { context, target };
  }
}
