import type { RuntimeView, TargetRuntime } from '../config/runtime.js';
import { BRIEF_METADATA_KEYS, CONTENT_LENGTH_METADATA_KEY, IMMEDIATE_HEALTH_CHECK_FAIL_HEADER, METADATA_NAMESPACE, REQUEST_ID_ATTRIBUTE, TARGET_ATTRIBUTE, TARGETS_PAUSED_HEADER } from '../config/envoy-contract.js';
import type { AnyEndpoint } from '../endpoints/endpoint.js';
import { readAttemptBrief, type AttemptBrief } from '../gateway/attempt-brief.js';
import type { Logger } from '../observability/logger.js';
import type { UpstreamRequest } from '../providers/provider-adapter.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { readBackOff, type BackOffRules } from '../resilience/read-back-off.js';
import { routePausedFor } from '../resilience/route-pause.js';
import type { TargetPauses } from '../resilience/target-pauses.js';
import { buildDroppingParams, dropsParams } from '../routing/drop-unsupported-params.js';
import { headerMutation, readHeaders } from './headers.js';
import type { HttpBody, HttpHeaders, ProcessingRequest, ProcessingResponse } from './messages.js';
import { toProtoStruct } from './proto-struct.js';
import { continueRequestBody, continueRequestHeaders, continueResponseHeaders, responseBody } from './responses.js';
import type { StreamProcessor } from './stream-processor.js';
import { upstreamRequestMutation } from './upstream-request-mutation.js';

/** The status that carries TARGETS_PAUSED_HEADER: a 4xx that is not 429, so no retry_on matches it. */
export const PAUSED_STATUS = '409';
/**
 * The wait (whole seconds, the least rate_limited_retry_back_off reads; Envoy waits 1 to 1.5 s)
 * before the retry after a pause, for the host's failed health check to reach Envoy's workers.
 */
const RETRY_AFTER_HEALTH_UPDATE = '1';
/** Gemini says how long to wait only in its error body (RetryInfo). */
const BODY_SIGNALS_KINDS = new Set(['gemini']);

export interface AttemptProcessorDependencies {
  /** The current runtime view: targets by id, and each model's drop_params. */
  view: () => RuntimeView;
  /** The endpoints forwarded to providers, by name (forwardedEndpointsByName). */
  endpoints: ReadonlyMap<string, AnyEndpoint>;
  registry: ProviderRegistry;
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
 * endpoint, so a retry that lands on another provider is translated for that provider. It is
 * stateless across streams: everything it needs comes with the attempt (the router's brief as
 * dynamic metadata, the target as endpoint metadata, the client's request as the body), so
 * the router-level and attempt-level streams of one request may reach different sidecar
 * processes (sidecar.workers, or several sidecars behind one Envoy).
 *
 * Request (models with several targets): the headers are answered at once (a paused or
 * skipped target fails the attempt there); the body, the client's request as the router
 * parsed it (JSON), is translated for the target and replaces it, with the provider's path,
 * credential and content-length. Envoy ignores ImmediateResponse from upstream filters, so
 * anything wrong here fails the stream, which Envoy (failure_mode_allow: false) turns into a
 * 5xx: nothing is ever forwarded untranslated, unauthenticated, or to a target that asked for
 * quiet. The attempt is added to the `tried` metadata, which the router reads with the answer.
 *
 * Response headers (every model; Envoy leaves successes out, see render-model-clusters): a provider's
 * explicit request to pause (readBackOff) pauses the target. Envoy's own Retry-After handling is taken out of the way (it falls back to a
 * 100 ms backoff above retry_after_max and would hit the target again): the provider's
 * retry-after becomes 1 s, and the host is marked as failing its health check, so the retry
 * goes, once Envoy's workers know of the failure, to a target that is not paused, the next
 * fallback level included. When every
 * target is paused, the answer is made final (TARGETS_PAUSED_HEADER) and the router
 * processor answers 429 with Retry-After. Gemini puts its delay in the error body only: for
 * its failures the body is read first, and the headers changed with the body reply.
 */
export class AttemptProcessor implements StreamProcessor {
  readonly #dependencies: AttemptProcessorDependencies;
  #brief: AttemptBrief | undefined;
  #target: TargetRuntime | undefined;
  #responseStatus = 0;
  #responseHeaders: Record<string, string> = {};

  constructor(dependencies: AttemptProcessorDependencies) {
    this.#dependencies = dependencies;
  }

  handle(request: ProcessingRequest): ProcessingResponse {
    if (request.request === 'request_headers') return this.#onRequestHeaders(request);
    if (request.request === 'request_body') return this.#onRequestBody(request.request_body ?? {});
    if (request.request === 'response_headers') return this.#onResponseHeaders(request.response_headers ?? {}, request.attributes);
    if (request.request === 'response_body') return this.#onResponseBody(request.response_body ?? {});
    throw new Error(`attempt processor got an unexpected ${request.request ?? 'empty'} message`);
  }

  close(): void {}

  #onRequestHeaders(request: ProcessingRequest): ProcessingResponse {
    // Envoy gives every attempt the same header map, so headers removed by one attempt are gone for
    // the next; the brief therefore travels as the router's dynamic metadata, which no client can set.
    const { brief, target } = this.#locate(request.attributes);
    if (brief === undefined) throw new Error('attempt without the router processor\'s brief (no request id in its metadata)');
    if (target === undefined) throw new Error(`attempt names no target of model ${brief.model}`);
    this.#brief = brief;
    this.#target = target;
    const paused = this.#dependencies.pauses.remaining(target.id);
    if (paused > 0) throw new Error(`target ${target.id} is paused for ${Math.ceil(paused)} ms at its provider's request; not sent`);
    // A target that cannot serve the request fails this attempt (Envoy then tries the next one) rather than being sent it.
    const skipped = brief.skipped.get(target.id);
    if (skipped !== undefined) throw new Error(`target ${target.id} cannot serve this request (${skipped}); not sent`);
    // The body follows (request_body_mode BUFFERED); the provider's headers are written with it.
    return continueRequestHeaders();
  }

  #onRequestBody(message: HttpBody): ProcessingResponse {
    const brief = this.#brief;
    const target = this.#target;
    if (brief === undefined || target === undefined) throw new Error('attempt body before its headers');
    const upstream = this.#translate(brief, target, message.body ?? EMPTY);
    const { logger, clock } = this.#dependencies;
    if (logger?.isLevelEnabled('debug')) {
      logger.debug(
        { request_id: brief.requestId, model: brief.model, attempt: brief.tried.length + 1, target: target.id, provider: target.provider.name, model_sent: target.model, path: upstream.path, body_bytes: upstream.body.length, pid: process.pid },
        'attempt written',
      );
    }
    const length = String(upstream.body.length);
    // Envoy keeps a content-length in a buffered body reply only if it matches the new body.
    const reply = continueRequestBody(upstreamRequestMutation(upstream, { 'content-length': length }), false, upstream.body);
    const tried = JSON.stringify([...brief.tried, [target.id, clock()]]);
    reply.dynamic_metadata = toProtoStruct({ [METADATA_NAMESPACE]: { [CONTENT_LENGTH_METADATA_KEY]: length, [BRIEF_METADATA_KEYS.tried]: tried } });
    return reply;
  }

  /** The client's request (JSON, as the router's endpoint parsed it) as this target's provider request. */
  #translate(brief: AttemptBrief, target: TargetRuntime, body: Buffer): UpstreamRequest {
    const { endpoints, registry, view } = this.#dependencies;
    const endpoint = endpoints.get(brief.endpoint);
    if (endpoint === undefined) throw new Error(`attempt for an unknown endpoint ${JSON.stringify(brief.endpoint)}`);
    const request: unknown = JSON.parse(body.toString('utf8'));
    if (!dropsParams(view(), { alias: brief.model }, target)) return endpoint.buildUpstream(registry, request, target);
    return buildDroppingParams((current) => endpoint.buildUpstream(registry, current, target), request, []);
  }

  #onResponseHeaders(message: HttpHeaders, attributes: ProcessingRequest['attributes']): ProcessingResponse {
    const headers = readHeaders(message.headers);
    const status = Number(headers[':status'] ?? 0);
    if (status !== 429 && status < 500) return continueResponseHeaders();
    // A model with one target sends no request headers here: the attempt is named now.
    if (this.#target === undefined) {
      const located = this.#locate(attributes);
      this.#brief = located.brief;
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
    const { pauses, onPause, view } = this.#dependencies;
    pauses.pause(target.id, pause);
    const brief = this.#brief;
    onPause?.(brief?.model || target.id, target, pause);
    const set: Record<string, string> = { [IMMEDIATE_HEALTH_CHECK_FAIL_HEADER]: 'true' };
    if (brief !== undefined && brief.targets.length > 0) {
      const targets = view().targets;
      const route = { targets: brief.targets.map((id) => targets.get(id)).filter((known): known is TargetRuntime => known !== undefined) };
      if (routePausedFor(route, pauses) !== undefined) {
        set[':status'] = PAUSED_STATUS;
        set[TARGETS_PAUSED_HEADER] = '1';
        return headerMutation(set, ['retry-after', 'retry-after-ms']);
      }
    }
    // Another target is free: the retry must wait until Envoy's worker knows the host failed its
    // health check (worker -> main thread -> worker), or it may pick the paused host again, and
    // an attempt the attempt processor refuses ends the request with a 500 (Envoy sends an
    // upstream filter's local reply to the client, never to its retry logic).
    set['retry-after'] = RETRY_AFTER_HEALTH_UPDATE;
    return headerMutation(set, ['retry-after-ms']);
  }

  /** The router's brief and the target Envoy chose, from the attributes the renderer asks for. */
  #locate(attributes: ProcessingRequest['attributes']): { brief: AttemptBrief | undefined; target: TargetRuntime | undefined } {
    const fields = attributes?.['envoy.filters.http.ext_proc']?.fields;
    const brief = readAttemptBrief(fields, fields?.[REQUEST_ID_ATTRIBUTE]?.stringValue);
    const targetId = fields?.[TARGET_ATTRIBUTE]?.stringValue;
    const target = targetId === undefined ? undefined : this.#dependencies.view().targets.get(targetId);
    // Only a target of this request's route (a level variant's, when the brief names one).
    if (brief !== undefined && target !== undefined && brief.targets.length > 0 && !brief.targets.includes(target.id)) return { brief, target: undefined };
    return { brief, target };
  }
}

const EMPTY = Buffer.alloc(0);
