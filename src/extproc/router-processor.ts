import { hasAttemptProcessor, type RuntimeView } from '../config/runtime.js';
import { ATTEMPT_COUNT_HEADER, METADATA_NAMESPACE, REQUEST_ID_METADATA_KEY, ROUTE_HEADER, ROUTED_PROCESSING_MODE, TARGETS_PAUSED_HEADER } from '../config/envoy-contract.js';
import { isHiddenFromClient } from '../config/header-policy.js';
import { toProtoStruct } from './proto-struct.js';
import { asGatewayError, GatewayError } from '../errors.js';
import { listModels, modelObject } from '../gateway/list-models.js';
import { describeExhaustedAttempts } from '../gateway/describe-exhausted-attempts.js';
import { estimateCutShortUsage } from '../gateway/estimate-usage.js';
import type { Meter } from '../gateway/meter.js';
import type { TokenCounter } from '../gateway/token-counter.js';
import { credentialFrom } from '../governance/authenticate.js';
import type { Admission, Governance } from '../governance/governance.js';
import { RequestLifecycle } from '../pipeline/request-lifecycle.js';
import { modelAllowed } from '../governance/model-pattern.js';
import type { VirtualKey } from '../governance/virtual-key.js';
import type { Pricing } from '../governance/pricing.js';
import type { EndpointRegistry } from '../endpoints/endpoint-registry.js';
import type { AdmissionBounds, AnyEndpoint, ClientFormat, LocalAnswer, ResponseHandling, TokenCounting } from '../endpoints/endpoint.js';
import { isForwarded, type RoutedEndpoint } from '../endpoints/create-endpoint-registry.js';
import { TOKEN_COUNT_ESTIMATE, TOKEN_COUNT_ESTIMATE_HEADER } from '../endpoints/count-tokens-endpoint.js';
import { lastAttempt, type RequestContext } from '../gateway/request-context.js';
import type { RequestStore } from '../gateway/request-store.js';
import { modelNotFound, resolveRoute } from '../gateway/resolve-route.js';
import type { Logger } from '../observability/logger.js';
import type { StreamTranslator, TranslatedResponse, TranslationContext } from '../providers/provider-adapter.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { Usage } from '../providers/usage.js';
import { contentEncodingOf, decompressWhole, StreamDecompressor, type ContentEncoding } from '../streaming/decompressor.js';
import { clientHeadersToRemove, headerMutation, readHeaders } from './headers.js';
import { REQUEST_ID_HEADER, requestIdHeaders, requestIdOf, UPSTREAM_REQUEST_ID_HEADER } from './request-id.js';
import type { HttpBody, HttpHeaders, ProcessingRequest, ProcessingResponse, ProtoStruct } from './messages.js';
import {
  CONTINUE_RESPONSE_BODY,
  continueRequestBody,
  continueRequestHeaders,
  continueResponseHeaders,
  errorImmediateResponse,
  jsonImmediateResponse,
  responseBody,
} from './responses.js';
import type { StreamEndReason, StreamProcessor } from './stream-processor.js';
import { upstreamRequestMutation } from './upstream-request-mutation.js';
import { retryAfterSeconds, routePausedFor } from '../resilience/route-pause.js';
import type { ResponseCache, CachePlan } from '../cache/response-cache.js';
import { createAnswerCapture, type AnswerCapture } from '../cache/answer-capture.js';
import { CACHE_SIMILARITY_HEADER, CACHE_STATUS_HEADER } from '../cache/cache-directive.js';
import type { CacheHit } from '../cache/semantic-cache.js';
import { replayCachedAnswer } from '../cache/replay-cached-answer.js';
import { cacheHitResponse } from '../cache/cache-hit-response.js';
import type { TargetPauses } from '../resilience/target-pauses.js';
import type { Capabilities } from '../capabilities/create-capabilities.js';
import type { RouteChoice } from '../capabilities/choose-route.js';
import { choiceInput } from '../capabilities/choice-input.js';
import { countAfterAuthentication } from '../capabilities/count-after-authentication.js';
import { countOnce } from '../capabilities/count-once.js';
import { TranslationMemo } from '../capabilities/translation-memo.js';
import type { TargetChoiceInput } from '../capabilities/choose-targets.js';
import type { ModelRoute } from '../config/runtime.js';
import type { RouteDecision } from '../routing/choose-by-route.js';
import { withDroppedParams } from '../routing/drop-unsupported-params.js';
import type { RouteMetrics } from '../routing/route-metrics.js';
import { routeRequest } from '../routing/route-request.js';
import { routingHeaders } from '../routing/routing-headers.js';
import { chooseFitting, type FittedChoice } from '../routing/truncate-to-fit.js';
import type { GuardrailRuntime } from '../guardrails/guardrail-runtime.js';
import type { RequestGuard } from '../guardrails/request-guard.js';

export interface RouterProcessorDependencies {
  /** The current runtime view; read once per request so a reload never changes a request midway. */
  view: () => RuntimeView;
  store: RequestStore<RequestContext>;
  registry: ProviderRegistry;
  /** (method, path) -> endpoint; decides 404 and 405. */
  endpoints: EndpointRegistry<RoutedEndpoint>;
  meter: Meter;
  logger: Logger;
  /** Monotonic milliseconds (performance.now). */
  now: () => number;
  /** Wall-clock milliseconds (Date.now), for `created` fields. */
  clock: () => number;
  newId: () => string;
  tokenCounter: TokenCounter;
  governance: Governance;
  pricing: Pricing;
  /** Targets whose provider asked for quiet (Retry-After): a model whose targets are all paused is answered 429. */
  pauses: TargetPauses;
  /** Each target's context window and abilities (config/capabilities.yaml and overrides). */
  capabilities: Capabilities;
  /** Counts routes' choices; absent: not counted (tests that build a processor without metrics). */
  routeMetrics?: RouteMetrics | undefined;
  /** The response cache; absent: no model is cached. */
  cache?: ResponseCache | undefined;
  /** Guardrails on requests and answers; absent: none run. */
  guardrails?: GuardrailRuntime | undefined;
}

/**
 * The router-level processor: one per client request, in the HCM filter chain.
 * Request headers: classify the endpoint, strip credentials and internal headers.
 * Request body (buffered): validate, resolve the model, write the routing header.
 * Response headers: learn which attempt answered, choose streamed or buffered handling.
 * Response body: translate to the client's format (or pass through) and meter, chunk by chunk for streams.
 */
export class RouterProcessor implements StreamProcessor {
  readonly #dependencies: RouterProcessorDependencies;
  readonly #startedAt: number;
  #method = '';
  #path = '';
  /** The endpoint the client called, once its method and path are known. */
  #endpoint: AnyEndpoint | undefined;
  /** The format the client speaks, for its refusals: Anthropic's under /v1/messages, OpenAI's elsewhere. */
  #clientFormat: ClientFormat = 'openai';
  /** The client's request headers as received (before credentials and internal headers are stripped). */
  #requestHeaders: Readonly<Record<string, string>> = {};
  /** The client's :path as received; attempts rewrite :path in the header map Envoy shares with its access log. */
  #clientPath = '';
  #view: RuntimeView | undefined;
  #credential: string | undefined;
  /** Envoy's x-request-id: the request's one id in answers, the sidecar's log lines and Envoy's access log. */
  #requestId = '';
  /** The key of a GET /v1/models caller, for the log line of a refusal. */
  #modelsKeyAlias: string | undefined;
  #traceId = '';
  /** Facts for Envoy's access log, attached to the reply that ends the response. */
  #accessLogFacts: ProtoStruct | undefined;
  #context: RequestContext | undefined;
  readonly #lifecycle: RequestLifecycle;
  #status = 0;
  #handling: ResponseHandling | undefined;
  #translation: TranslationContext | undefined;
  #translator: StreamTranslator | undefined;
  #encoding: ContentEncoding | undefined;
  #decompressor: StreamDecompressor | undefined;
  #usage: Usage | undefined;
  #servedModel: string | undefined;
  #firstByteAt: number | undefined;
  /** Server-sent events delivered to the client, for estimating output when a stream is cut short. */
  #deliveredEvents = 0;
  #usageEstimated = false;
  /** A cut-short stream's usage is being counted (the tokenizer answers asynchronously). */
  #estimating = false;
  #metered = false;
  #closed = false;
  /** What the response cache does for this request (undefined: the cache is off for it). */
  #cachePlan: CachePlan | undefined;
  /** Reads the answer back for the cache; only for requests whose answer will be stored. */
  #capture: AnswerCapture | undefined;
  /** The route's choice, when the client asked for a route: a refusal of the chosen model says what was chosen too. */
  #routeDecision: RouteDecision | undefined;
  /** This request's guardrails (undefined: none apply), and the filter of its streamed answer. */
  #guard: RequestGuard | undefined;
  #answerFilter: { push(chunk: Buffer, endOfStream: boolean): Buffer } | undefined;
  /** This request's token counts and provider requests, each made once (a route's choice and the chosen model's ask for the same). */
  #counter: TokenCounting | undefined;
  readonly #translations = new TranslationMemo();

  constructor(dependencies: RouterProcessorDependencies) {
    this.#dependencies = dependencies;
    this.#startedAt = dependencies.now();
    this.#lifecycle = new RequestLifecycle(dependencies.governance);
  }

  handle(request: ProcessingRequest): ProcessingResponse | Promise<ProcessingResponse> {
    switch (request.request) {
      case 'request_headers':
        return this.#onRequestHeaders(request.request_headers ?? {});
      case 'request_body':
        return this.#onRequestBody(request.request_body ?? {});
      case 'response_headers':
        return this.#onResponseHeaders(request.response_headers ?? {});
      case 'response_body':
        return this.#onResponseBody(request.response_body ?? {});
      case 'request_trailers':
        return { request_trailers: {} };
      case 'response_trailers':
        return { response_trailers: {} };
      default:
        throw new Error(`unexpected ext_proc message ${String(request.request)}`);
    }
  }

  close(_reason: StreamEndReason): void {
    if (this.#closed) return;
    this.#closed = true;
    // An admission still being asked for, or one that was never used, is released by the lifecycle.
    if (this.#lifecycle.cancel() === 'cut-short') this.#meterCutShort();
    if (this.#context !== undefined) this.#dependencies.store.delete(this.#context.id);
  }

  /**
   * Envoy ended the stream before the response finished (client gone, upstream reset, Envoy
   * restarted): the request was cut short, and is metered and settled with what was delivered.
   */
  #meterCutShort(): void {
    const context = this.#context;
    if (context === undefined || this.#metered || this.#estimating) return;
    // 499: nginx's "client closed request", the customary code for a request that ended without a status.
    const status = this.#status || 499;
    const translator = this.#translator;
    if (translator === undefined) {
      this.#finish(status, true);
      return;
    }
    void this.#estimateThenFinish(context, translator, status);
  }

  /**
   * Meters a stream that ended without the provider's totals by what it delivered (see
   * estimateCutShortUsage). Counting may wait for the tokenizer's thread; #finish still runs
   * exactly once, and resolves this promise.
   */
  async #estimateThenFinish(context: RequestContext, translator: StreamTranslator, status: number): Promise<void> {
    this.#estimating = true;
    this.#servedModel = translator.model;
    // The role chunk carries no output token.
    const delivered = { contentEvents: Math.max(0, this.#deliveredEvents - 1), output: translator.delivered };
    try {
      this.#usage = await estimateCutShortUsage(() => context.endpoint.promptText(context.request), translator.usage, delivered, this.#dependencies.tokenCounter);
      this.#usageEstimated = true;
    } catch (error) {
      this.#usage = translator.usage;
      this.#dependencies.logger.warn({ err: error, request_id: context.id }, 'usage of a cut-short stream could not be estimated');
    }
    this.#finish(status, true);
  }

  #onRequestHeaders(message: HttpHeaders): ProcessingResponse | Promise<ProcessingResponse> {
    const headers = readHeaders(message.headers);
    this.#method = headers[':method'] ?? '';
    this.#clientPath = headers[':path'] ?? '';
    this.#path = this.#clientPath.split('?')[0] ?? '';
    this.#view = this.#dependencies.view();
    const requestId = requestIdOf(headers, this.#dependencies.newId);
    this.#requestId = requestId.id;
    // Read before the headers are stripped: the credential is the client's gateway key, never forwarded.
    this.#credential = credentialFrom(headers);
    this.#requestHeaders = headers;
    const match = this.#dependencies.endpoints.match(this.#method, this.#path);
    if (match.refusal !== undefined) {
      this.#clientFormat = match.clientFormat;
      return this.#refuse(match.refusal);
    }
    const endpoint = match.endpoint;
    this.#clientFormat = endpoint.clientFormat;
    try {
      if (!isForwarded(endpoint)) {
        const caller = this.#dependencies.governance.identify(this.#credential);
        if (caller === undefined) return this.#answerModels(undefined);
        return caller.then(
          (key) => this.#answerModels(key),
          (thrown: unknown) => this.#refuse(asGatewayError(thrown)),
        );
      }
      this.#endpoint = endpoint;
      if (message.end_of_stream) {
        // Parsing the empty body gives the endpoint's own refusal (400 missing_body, in its words).
        endpoint.parse(EMPTY, headers);
        throw new GatewayError({ status: 400, code: 'missing_body', message: 'The request body is empty; expected a JSON request body.' });
      }
    } catch (thrown) {
      return this.#refuse(asGatewayError(thrown));
    }
    // W3C trace context: a client's traceparent passes on to the provider; without one the gateway starts a trace.
    const set: Record<string, string> = {};
    // Only without Envoy's id (none, or a trusted client's unusable one): Envoy's access log and answer then name the sidecar's.
    if (requestId.replaced) set[REQUEST_ID_HEADER] = requestId.id;
    const traceparent = parseTraceparent(headers.traceparent);
    if (traceparent !== undefined) {
      this.#traceId = traceparent;
    } else {
      this.#traceId = this.#dependencies.newId().replace(/-/g, '');
      set.traceparent = `00-${this.#traceId}-${this.#dependencies.newId().replace(/-/g, '').slice(0, 16)}-01`;
    }
    // Only now are responses sent to the sidecar: a reply Envoy makes before this (a codec error) never waits on it.
    return continueRequestHeaders(headerMutation(set, clientHeadersToRemove(headers)), ROUTED_PROCESSING_MODE);
  }

  /** GET /v1/models and /v1/models/{model}: the models the caller may use (every model for an anonymous client of an open gateway). */
  #answerModels(key: VirtualKey | undefined): ProcessingResponse {
    this.#modelsKeyAlias = key?.alias;
    try {
      const view = this.#view!;
      const created = Math.floor(this.#dependencies.clock() / 1000);
      const allowed = (alias: string) => key === undefined || modelAllowed(key.models, alias);
      let reply: ProcessingResponse;
      if (this.#path.replace(/\/+$/, '') === '/v1/models') {
        reply = jsonImmediateResponse(200, listModels(view, created, allowed), requestIdHeaders(this.#requestId));
      } else {
        const id = decodeURIComponent(this.#path.replace(/\/+$/, '').slice('/v1/models/'.length));
        // A model the key may not use is as absent for it as one that does not exist.
        if (!allowed(id)) throw modelNotFound(id);
        const route = resolveRoute(view, id);
        reply = jsonImmediateResponse(200, modelObject(route.alias, route.demo ? `${route.ownedBy} (demo)` : route.ownedBy, created), requestIdHeaders(this.#requestId));
      }
      reply.dynamic_metadata = toProtoStruct({ [METADATA_NAMESPACE]: { path: this.#clientPath, key_alias: key?.alias ?? null } });
      return reply;
    } catch (thrown) {
      return this.#refuse(asGatewayError(thrown));
    }
  }

  #onRequestBody(message: HttpBody): ProcessingResponse | Promise<ProcessingResponse> {
    const view = this.#view!;
    const endpoint = this.#endpoint!;
    const body = message.body ?? EMPTY;
    let model: string | undefined;
    try {
      const request: unknown = endpoint.parse(body, this.#requestHeaders);
      model = endpoint.model(request);
      const bounds = endpoint.admissionBounds(request, body.length);
      const dropped = new Map<string, readonly string[]>();
      const inputFor = (current: unknown) => this.#choiceInputFor(view, endpoint, current, bounds, dropped);
      // A route (src/routing/) chooses the model first; the chosen model is then served as if the client had asked for it.
      const decision = routeRequest({
        view,
        endpoint,
        request,
        model,
        headers: this.#requestHeaders,
        promptUpperBound: bounds.promptTokens,
        choiceInput: inputFor(request),
        counter: this.#authenticatedCounter(),
        identify: () => this.#dependencies.governance.identify(this.#credential),
        pricing: this.#dependencies.pricing,
      });
      if (decision === undefined) return this.#serve(endpoint, request, model, bounds, inputFor, dropped, undefined);
      const asked = model;
      const routed = (chosen: RouteDecision) => {
        this.#routeDecision = chosen;
        this.#dependencies.routeMetrics?.record(chosen);
        return this.#serve(endpoint, request, chosen.model, bounds, inputFor, dropped, chosen);
      };
      if (!(decision instanceof Promise)) return routed(decision);
      return decision.then(routed, (thrown: unknown) => this.#refuse(asGatewayError(thrown), asked));
    } catch (thrown) {
      return this.#refuse(asGatewayError(thrown), model);
    }
  }

  /** The tokenizer for this request's checks: it counts only once the caller has authenticated. */
  #authenticatedCounter(): TokenCounting {
    const { governance, tokenCounter } = this.#dependencies;
    this.#counter ??= countOnce(countAfterAuthentication(() => governance.identify(this.#credential), tokenCounter));
    return this.#counter;
  }

  /** chooseTargets' input for a candidate model of this request, dropping parameters where the model or provider says so. */
  #choiceInputFor(view: RuntimeView, endpoint: AnyEndpoint, request: unknown, bounds: AdmissionBounds, dropped: Map<string, readonly string[]>) {
    const { registry, capabilities } = this.#dependencies;
    const counting = { registry, capabilities, tokenCounter: this.#authenticatedCounter() };
    return (candidate: ModelRoute) =>
      this.#translations.remembering(
        withDroppedParams(choiceInput(counting, endpoint, request, candidate, bounds.promptTokens, this.#clientFormat), view, (current, target) => endpoint.buildUpstream(registry, current, target), request, dropped),
        request,
      );
  }

  /** Serves a request for a model (the client's, or the one its route chose): guarded first, then a local answer, or targets chosen, admitted and forwarded. */
  #serve(
    endpoint: AnyEndpoint,
    request: unknown,
    model: string,
    bounds: AdmissionBounds,
    inputFor: (request: unknown) => (route: ModelRoute) => TargetChoiceInput,
    dropped: Map<string, readonly string[]>,
    decision: RouteDecision | undefined,
  ): ProcessingResponse | Promise<ProcessingResponse> {
    const guarding = this.#guardInput(endpoint, request, model);
    const serve = () => this.#serveGuarded(endpoint, request, model, bounds, inputFor, dropped, decision);
    if (guarding instanceof Promise) return guarding.then((refusal) => refusal ?? serve(), (thrown: unknown) => this.#refuse(asGatewayError(thrown), model));
    return guarding ?? serve();
  }

  /**
   * Input guardrails (src/guardrails): the request is checked, and masked or redacted in place,
   * before any target's request is built from it. A refusal when one blocks; a promise when
   * the caller's key must be known first (a declared key attaches guardrails) or an analyser is asked.
   */
  #guardInput(endpoint: AnyEndpoint, request: unknown, model: string): ProcessingResponse | Promise<ProcessingResponse | undefined> | undefined {
    const runtime = this.#dependencies.guardrails;
    if (runtime === undefined) return undefined;
    const configuration = this.#view!.configuration;
    const inspect = (keyAlias: string | undefined): ProcessingResponse | Promise<ProcessingResponse | undefined> | undefined => {
      this.#guard = runtime.guard(configuration, model, keyAlias, { format: this.#clientFormat, requestId: this.#requestId });
      const refusal = this.#guard?.inspect(endpoint.name, request);
      if (refusal instanceof Promise) return refusal.then((found) => (found === undefined ? undefined : this.#refuse(found, model)));
      return refusal === undefined ? undefined : this.#refuse(refusal, model);
    };
    const caller = runtime.policies(configuration).byKey ? this.#dependencies.governance.identify(this.#credential) : undefined;
    return caller === undefined ? inspect(undefined) : caller.then((key) => inspect(key?.alias));
  }

  #serveGuarded(
    endpoint: AnyEndpoint,
    request: unknown,
    model: string,
    bounds: AdmissionBounds,
    inputFor: (request: unknown) => (route: ModelRoute) => TargetChoiceInput,
    dropped: Map<string, readonly string[]>,
    decision: RouteDecision | undefined,
  ): ProcessingResponse | Promise<ProcessingResponse> {
    const view = this.#view!;
    // Guardrails may have masked or redacted the request in place: what was translated from it before is stale.
    if (this.#guard !== undefined) this.#translations.forget();
    try {
      const route = resolveRoute(view, model);
      const primary = route.targets.find((target) => target.provider.unavailableReason === undefined)!;
      const localAnswer = endpoint.localAnswer?.(request, primary);
      if (localAnswer === undefined) {
        // Every target is checked and translated now: what none can serve is refused with a 400 before
        // anything is sent, and Envoy is handed only the levels of the chain that can serve it.
        // context_policy truncate may serve the request with its oldest turns dropped.
        const fitted = chooseFitting(view, route, request, inputFor);
        const admit = (fit: FittedChoice) => this.#admitChosen(fit.chosen, endpoint, fit.request, bounds, model, { routeDecision: decision, droppedParams: dropped, droppedTurns: fit.droppedTurns });
        if (!(fitted instanceof Promise)) return admit(fitted);
        return fitted.then(
          admit,
          (thrown: unknown) => this.#refuse(asGatewayError(thrown), model),
        );
      }
      const admission = this.#dependencies.governance.admit({ credential: this.#credential, route, bounds });
      if (admission === undefined) return this.#answerLocally(localAnswer, route.alias);
      this.#lifecycle.admitting();
      return admission.then(
        (admitted) => (this.#lifecycle.admitted(admitted) ? this.#answerLocally(localAnswer, route.alias) : continueRequestBody()),
        (thrown: unknown) => this.#refuse(asGatewayError(thrown), model),
      );
    } catch (thrown) {
      return this.#refuse(asGatewayError(thrown), model);
    }
  }

  /** Admits a request whose targets are chosen (or refuses it, when none can serve it), then forwards it. */
  #admitChosen(
    chosen: RouteChoice,
    endpoint: AnyEndpoint,
    request: unknown,
    bounds: AdmissionBounds,
    model: string,
    extras: Pick<RequestContext, 'routeDecision' | 'droppedParams' | 'droppedTurns'>,
  ): ProcessingResponse | Promise<ProcessingResponse> {
    // The stream ended while the prompt was counted: nothing is admitted (a reservation would be left held), nothing goes on.
    if (this.#closed) return continueRequestBody();
    try {
      const { route, choice } = chosen;
      if (choice.refusal !== undefined) return this.#refuse(choice.refusal, model);
      if (chosen.upgradedFrom !== undefined) this.#dependencies.logger.info({ request_id: this.#requestId, model: chosen.upgradedFrom, upgraded_to: route.alias }, 'request too long for its model: upgraded by its context policy');
      const admission = this.#dependencies.governance.admit({ credential: this.#credential, route, bounds, askedRoute: extras.routeDecision?.route });
      const context: RequestContext = {
        id: this.#requestId,
        traceId: this.#traceId,
        startedAt: this.#startedAt,
        route,
        endpoint,
        request,
        stream: endpoint.isStream(request),
        includeUsage: endpoint.isStream(request) && endpoint.includeUsage(request),
        attempts: [],
        prepared: choice.prepared,
        skipped: choice.skipped,
        ...extras,
      };
      if (admission === undefined) return this.#forwardUnlessCached(context, undefined, false);
      this.#lifecycle.admitting();
      return admission.then(
        (admitted) => this.#forwardUnlessCached(context, admitted, true),
        (thrown: unknown) => this.#refuse(asGatewayError(thrown), model),
      );
    } catch (thrown) {
      return this.#refuse(asGatewayError(thrown), model);
    }
  }

  /**
   * Answers an admitted request without a provider (an estimated token count). The admission
   * is released at once, before the answer is computed: nothing is spent, and a stream that
   * ends meanwhile then has nothing left to release.
   */
  async #answerLocally(answer: (counter: TokenCounter) => Promise<LocalAnswer>, model: string): Promise<ProcessingResponse> {
    const rateLimitHeaders = this.#lifecycle.admission?.headers ?? {};
    const keyAlias = this.#lifecycle.admission?.key.alias ?? null;
    this.#lifecycle.refused();
    try {
      const { body, headers } = await answer(this.#dependencies.tokenCounter);
      const reply = jsonImmediateResponse(200, body, { ...rateLimitHeaders, ...headers });
      reply.dynamic_metadata = toProtoStruct({ [METADATA_NAMESPACE]: { path: this.#clientPath, model, key_alias: keyAlias } });
      return reply;
    } catch (thrown) {
      return this.#refuse(asGatewayError(thrown), model);
    }
  }

  /**
   * The cache stage, after admission (the key decides the tenant scope): a stored answer is
   * sent at once; otherwise the request is forwarded, with a capture of its answer when the
   * cache will keep it.
   */
  #forwardUnlessCached(context: RequestContext, admitted: Admission | undefined, asked: boolean): ProcessingResponse | Promise<ProcessingResponse> {
    // A masked request's answer holds this caller's values once restored: never stored nor served from the cache.
    const cache = this.#guard?.masked ? undefined : this.#dependencies.cache;
    const plan = cache?.plan({
      configuration: this.#view!.configuration,
      endpoint: context.endpoint.name,
      model: context.route.alias,
      request: context.request,
      key: admitted?.key,
      headers: this.#requestHeaders,
      credential: this.#credential,
    });
    if (this.#guard !== undefined && admitted !== undefined) this.#guard.keyAlias = admitted.key.alias;
    const proceed = (hit: CacheHit | undefined): ProcessingResponse => {
      // The stream may have ended while governance (or a shared cache store) was asked: the admission is then released, and nothing goes on.
      if (asked && !this.#lifecycle.admitted(admitted)) return continueRequestBody();
      if (this.#closed) return continueRequestBody();
      if (cache !== undefined && hit !== undefined) return this.#answerFromCache(cache, context, hit);
      if (plan?.writes) this.#capture = createAnswerCapture(context.endpoint.clientFormat);
      return this.#forward(context);
    };
    if (cache === undefined || plan === undefined) return proceed(undefined);
    this.#cachePlan = plan;
    const hit = cache.lookup(plan);
    return hit instanceof Promise ? hit.then(proceed) : proceed(hit);
  }

  /**
   * A cache hit: the stored answer in the client's format, stream or JSON. Nothing reaches a
   * provider, so the admission is released (nothing spent, no tokens counted; the request
   * still counted for the requests-per-minute limit when it was admitted).
   */
  #answerFromCache(cache: ResponseCache, context: RequestContext, hit: CacheHit): ProcessingResponse {
    const admission = this.#lifecycle.admission;
    this.#lifecycle.refused();
    const replay = replayCachedAnswer(hit.completion, {
      format: context.endpoint.clientFormat,
      stream: context.stream,
      includeUsage: context.includeUsage,
      id: `${context.endpoint.responseIdPrefix}${context.id.replace(/-/g, '')}`,
      created: Math.floor(this.#dependencies.clock() / 1000),
      model: context.route.alias,
    });
    const usage = hit.completion.usage;
    const target = context.route.targets.find((candidate) => candidate.provider.unavailableReason === undefined);
    const savedUsd = usage !== undefined && target !== undefined ? this.#dependencies.pricing.cost(target, usage) : undefined;
    const ageSeconds = cache.ageSeconds(hit);
    cache.recordHit({ model: context.route.alias, requestId: context.id, keyAlias: admission?.key.alias, usage, savedUsd, ageSeconds });
    const reply = cacheHitResponse(replay.body, {
      ...(admission?.headers ?? {}),
      ...requestIdHeaders(context.id),
      'content-type': replay.contentType,
      [CACHE_STATUS_HEADER]: hit.similarity === undefined ? 'hit' : 'semantic-hit',
      ...(hit.similarity === undefined ? {} : { [CACHE_SIMILARITY_HEADER]: hit.similarity.toFixed(3) }),
      age: String(ageSeconds),
    });
    reply.dynamic_metadata = toProtoStruct({
      [METADATA_NAMESPACE]: {
        path: this.#clientPath,
        model: context.route.alias,
        key_alias: admission?.key.alias ?? null,
        prompt_tokens: usage?.promptTokens ?? null,
        completion_tokens: usage?.completionTokens ?? null,
        cost_usd: 0,
      },
    });
    return reply;
  }

  /** Hands the request to Envoy's router: the routing header, and the request id as dynamic metadata. */
  #forward(context: RequestContext): ProcessingResponse {
    // Every target asked for quiet: answered at once (after authentication and admission, whose
    // hold is released), and nothing is sent before the pause ends.
    const paused = routePausedFor(context.route, this.#dependencies.pauses);
    if (paused !== undefined) return this.#refuse(pausedModel(context.route.alias, paused), context.route.alias);
    // Envoy's ids are unique; a trusted client's may not be, and the attempt processor finds a request by its id.
    if (this.#dependencies.store.get(context.id) !== undefined) {
      return this.#refuse(
        new GatewayError({ status: 409, code: 'request_id_in_use', type: 'invalid_request_error', message: `Another request with x-request-id '${context.id}' is in flight; send each request with its own id.` }),
        context.route.alias,
      );
    }
    if (!this.#dependencies.store.put(context.id, context)) {
      return this.#refuse(
        new GatewayError({ status: 503, code: 'gateway_overloaded', message: 'The gateway has too many requests in flight; retry shortly.', headers: { 'retry-after': '1' } }),
        context.route.alias,
      );
    }
    this.#context = context;
    this.#lifecycle.forwarded();
    this.#dependencies.meter.start(context.route.alias);
    // The routing header only takes effect together with clear_route_cache (Envoy caches the route before ext_proc runs).
    const route = { [ROUTE_HEADER]: context.route.cluster };
    if (hasAttemptProcessor(context.route)) {
      // Several targets: the attempt processor writes each try's provider request, finding it by this id.
      const reply = continueRequestBody(headerMutation(route), true);
      reply.dynamic_metadata = toProtoStruct({ [METADATA_NAMESPACE]: { [REQUEST_ID_METADATA_KEY]: context.id } });
      return reply;
    }
    // One target: every try goes to the same provider, so its request is written here, once. Envoy
    // keeps a content-length in a buffered body reply only if it matches the new body.
    const target = context.route.targets[0]!;
    const upstream = context.prepared.get(target.id)!;
    context.attempts.push({ target, startedAt: this.#dependencies.now() });
    const reply = continueRequestBody(upstreamRequestMutation(upstream, { ...route, 'content-length': String(upstream.body.length) }), true, upstream.body);
    // The attempt processor reads each try's answer (a request to pause), finding the request by this id.
    reply.dynamic_metadata = toProtoStruct({ [METADATA_NAMESPACE]: { [REQUEST_ID_METADATA_KEY]: context.id } });
    return reply;
  }

  #onResponseHeaders(message: HttpHeaders): ProcessingResponse {
    const context = this.#context;
    const headers = readHeaders(message.headers);
    this.#status = Number(headers[':status'] ?? 0);
    const set: Record<string, string> = {};
    const remove = Object.keys(headers).filter(isHiddenFromClient);
    if (context === undefined) {
      // Not a request this processor routed (Envoy's own reply): pass it on untouched.
      return continueResponseHeaders(headerMutation(set, remove));
    }
    if (this.#lifecycle.state === 'forwarded') this.#lifecycle.responding();
    const madeFinal = headers[TARGETS_PAUSED_HEADER] !== undefined;
    if (madeFinal || this.#status === 429 || this.#status >= 500) {
      // A final answer whose pauses have just run out still gets the 429 (soon over), never the internal status.
      const paused = routePausedFor(context.route, this.#dependencies.pauses) ?? (madeFinal ? 1 : undefined);
      if (paused !== undefined) return this.#answerPaused(context, paused);
    }
    // x-request-id names the gateway's request (Envoy sets it again, from the request); a provider's own id is passed on apart.
    const upstreamRequestId = headers[REQUEST_ID_HEADER];
    if (upstreamRequestId !== undefined && upstreamRequestId !== context.id) set[UPSTREAM_REQUEST_ID_HEADER] = upstreamRequestId;
    Object.assign(set, requestIdHeaders(context.id));
    Object.assign(set, routingHeaders(context.routeDecision, context.droppedParams, lastAttempt(context)?.target, context.droppedTurns));
    if (this.#cachePlan !== undefined) set[CACHE_STATUS_HEADER] = this.#cachePlan.status;
    // Only a successful answer is ever stored.
    if (this.#status !== 200) this.#capture = undefined;
    const admission = this.#lifecycle.admission;
    if (admission !== undefined) Object.assign(set, admission.headers);
    if (!hasAttemptProcessor(context.route)) recordRetries(context, Number(headers[ATTEMPT_COUNT_HEADER]));
    const attempt = lastAttempt(context);
    this.#handling = attempt ? context.endpoint.responseHandling(this.#dependencies.registry, attempt.target.provider.kind, context.request) : undefined;
    this.#translation = {
      responseId: `${context.endpoint.responseIdPrefix}${context.id.replace(/-/g, '')}`,
      created: Math.floor(this.#dependencies.clock() / 1000),
      model: attempt?.target.model ?? context.route.alias,
      includeUsage: context.includeUsage,
    };
    const eventStream = (headers['content-type'] ?? '').startsWith('text/event-stream');
    // Translation and metering need plain bytes: undo compression, and say so to the client.
    this.#encoding = contentEncodingOf(headers['content-encoding']);
    if (this.#encoding !== undefined) {
      remove.push('content-encoding');
      if (headers['content-length'] !== undefined) remove.push('content-length');
    }
    if (message.end_of_stream) {
      this.#finish(this.#status, false);
      return this.#withAccessLogFacts(continueResponseHeaders(headerMutation(set, remove)));
    }
    if (this.#status === 200 && eventStream && this.#handling?.createStreamTranslator) {
      this.#translator = this.#handling.createStreamTranslator(this.#translation);
      if (this.#guard?.watchesAnswer) this.#answerFilter = this.#guard.streamFilter();
      if (this.#encoding !== undefined) this.#decompressor = new StreamDecompressor(this.#encoding);
      // Chunks are rewritten one by one, so the upstream's length no longer holds.
      else if (headers['content-length'] !== undefined) remove.push('content-length');
      return continueResponseHeaders(headerMutation(set, remove), { response_body_mode: 'STREAMED' });
    }
    return continueResponseHeaders(headerMutation(set, remove));
  }

  /**
   * Every target of the model asked for quiet during this request (Envoy found no target to
   * try, or the attempt processor made the last answer final): a 429 with Retry-After, metered
   * once, since the request did reach a provider.
   */
  #answerPaused(context: RequestContext, pausedMs: number): ProcessingResponse {
    this.#status = 429;
    this.#finish(429, false);
    const reply = errorImmediateResponse(pausedModel(context.route.alias, pausedMs), this.#clientFormat, requestIdHeaders(context.id));
    return this.#withAccessLogFacts(reply);
  }

  #onResponseBody(message: HttpBody): ProcessingResponse | Promise<ProcessingResponse> {
    const chunk = message.body ?? EMPTY;
    const endOfStream = message.end_of_stream === true;
    if (this.#translator !== undefined) {
      if (this.#decompressor !== undefined) return this.#decompressThenStream(this.#decompressor, chunk, endOfStream);
      return this.#streamChunk(this.#translator, chunk, endOfStream, chunk);
    }
    if (!endOfStream) return CONTINUE_RESPONSE_BODY;
    return this.#translateBuffered(chunk);
  }

  async #decompressThenStream(decompressor: StreamDecompressor, chunk: Buffer, endOfStream: boolean): Promise<ProcessingResponse> {
    let plain = await decompressor.push(chunk);
    if (endOfStream) plain = Buffer.concat([plain, await decompressor.end()]);
    return this.#streamChunk(this.#translator!, plain, endOfStream, undefined);
  }

  /** The per-chunk hot path: translate, note the first byte out, meter at the end. */
  #streamChunk(translator: StreamTranslator, chunk: Buffer, endOfStream: boolean, original: Buffer | undefined): ProcessingResponse | Promise<ProcessingResponse> {
    let out = translator.push(chunk);
    if (endOfStream) {
      const tail = translator.end();
      if (tail.length > 0) out = out.length > 0 ? Buffer.concat([out, tail]) : tail;
    }
    if (this.#answerFilter !== undefined) out = this.#answerFilter.push(out, endOfStream);
    if (out.length > 0) {
      if (this.#firstByteAt === undefined) this.#firstByteAt = this.#dependencies.now();
      this.#deliveredEvents += countEvents(out);
      this.#capture?.push(out);
    }
    // Unchanged bytes need no mutation: sending none saves copying the chunk back to Envoy.
    const reply = out === original ? CONTINUE_RESPONSE_BODY : responseBody(out);
    if (!endOfStream) return reply;
    const context = this.#context;
    if (!translator.complete && context !== undefined && !this.#metered && !this.#estimating) {
      // The upstream ended without its totals (cut off, or failed mid-stream): metered by what was
      // delivered. The last bytes wait for the count, so the access log gets the metered figures.
      return this.#estimateThenFinish(context, translator, this.#status).then(() => this.#withAccessLogFacts(reply));
    }
    this.#usage = translator.usage;
    this.#servedModel = translator.model;
    this.#finish(this.#status, false);
    if (this.#capture !== undefined && translator.complete) this.#fillCache(this.#capture.endStream(translator.usage));
    return this.#withAccessLogFacts(reply);
  }

  /** Hands the request's facts to Envoy's access log (dynamic metadata), on the reply that ends the response. */
  #withAccessLogFacts(reply: ProcessingResponse): ProcessingResponse {
    const facts = this.#accessLogFacts;
    if (facts === undefined) return reply;
    this.#accessLogFacts = undefined;
    return { ...reply, dynamic_metadata: facts };
  }

  #translateBuffered(received: Buffer): ProcessingResponse | Promise<ProcessingResponse> {
    const reply = this.#translateBufferedBody(received);
    return reply instanceof Promise ? reply.then((done) => this.#withAccessLogFacts(done)) : this.#withAccessLogFacts(reply);
  }

  #translateBufferedBody(received: Buffer): ProcessingResponse | Promise<ProcessingResponse> {
    const adapter = this.#handling;
    let body = received;
    if (this.#encoding !== undefined) {
      try {
        body = decompressWhole(received, this.#encoding);
      } catch (error) {
        this.#dependencies.logger.warn({ err: error, request_id: this.#context?.id, encoding: this.#encoding }, 'upstream body could not be decompressed; passed on as received');
        this.#finish(this.#status, false);
        return responseBody(undefined, headerMutation({ 'content-encoding': this.#encoding }));
      }
    }
    // The provider's bytes unchanged (decompressed if they came compressed), with any headers the translation adds.
    const plainBody = (extra: Record<string, string> = {}): ProcessingResponse => {
      if (this.#encoding !== undefined) return responseBody(body, headerMutation({ ...extra, 'content-length': String(body.length) }));
      return Object.keys(extra).length === 0 ? CONTINUE_RESPONSE_BODY : responseBody(undefined, headerMutation(extra));
    };
    if (adapter === undefined || this.#translation === undefined) {
      this.#finish(this.#status, false);
      return plainBody();
    }
    let translated: TranslatedResponse;
    try {
      translated = adapter.translateResponse({ status: this.#status, headers: {}, body }, this.#translation);
    } catch (error) {
      this.#dependencies.logger.error({ err: error, request_id: this.#context?.id }, 'response translation failed');
      this.#finish(this.#status, false);
      return plainBody();
    }
    const complete = translated.completeUsage;
    const context = this.#context;
    if (complete !== undefined && context !== undefined) {
      // The provider reported no usage: its prompt is counted with the tokenizer, metered as an estimate.
      this.#estimating = true;
      return this.#dependencies.tokenCounter.count(context.endpoint.promptText(context.request)).then((tokens) => {
        this.#usageEstimated = true;
        const answer = complete(tokens);
        // The client is told its usage is the gateway's count, as count_tokens answers are marked.
        return this.#deliverTranslated({ ...answer, headers: { ...answer.headers, [TOKEN_COUNT_ESTIMATE_HEADER]: TOKEN_COUNT_ESTIMATE } }, body, plainBody);
      });
    }
    return this.#deliverTranslated(translated, body, plainBody);
  }

  /** Meters a translated whole answer and hands it on (a provider's error, after every attempt, names them). */
  #deliverTranslated(translated: TranslatedResponse, body: Buffer, plainBody: (extra?: Record<string, string>) => ProcessingResponse): ProcessingResponse {
    // Output guardrails see the answer in the client's format: placeholders restored, deny lists applied.
    const guarded = this.#status === 200 && this.#guard?.watchesAnswer ? this.#guard.rewriteBody(translated.body ?? body) : undefined;
    this.#usage = translated.usage;
    this.#servedModel = translated.model;
    this.#firstByteAt = this.#dependencies.now();
    // A stream that ended while the prompt was counted is settled as cut short.
    this.#finish(this.#status, this.#lifecycle.state === 'cancelled');
    let out = guarded ?? translated.body;
    const context = this.#context;
    // Envoy retries these (retry_on); reaching the client means every attempt was used up.
    if (context !== undefined && context.attempts.length > 0 && (this.#status >= 500 || this.#status === 429)) {
      out = describeExhaustedAttempts(context.route.alias, context.attempts, this.#status, out ?? body);
    }
    // Only a whole answer is kept: not one whose stream ended while its prompt was counted.
    if (this.#capture !== undefined && this.#status === 200 && this.#lifecycle.state !== 'cancelled') this.#fillCache(this.#capture.fromBody(out ?? body));
    if (out === undefined) return plainBody(translated.headers);
    return responseBody(out, headerMutation({ ...translated.headers, 'content-length': String(out.length) }));
  }

  /** Stores a complete answer (undefined: nothing worth keeping) for a request whose plan writes. */
  #fillCache(completion: ReturnType<AnswerCapture['fromBody']>): void {
    const plan = this.#cachePlan;
    this.#capture = undefined;
    if (completion !== undefined && plan !== undefined) this.#dependencies.cache?.fill(plan, completion);
  }

  #finish(status: number, cutShort: boolean): void {
    if (this.#metered || this.#context === undefined) return;
    this.#metered = true;
    const context = this.#context;
    const usage = this.#usage;
    const served = lastAttempt(context)?.target;
    const costUsd = usage !== undefined && served !== undefined ? this.#dependencies.pricing.cost(served, usage) : undefined;
    const admission = this.#lifecycle.admission;
    // Without usage nothing was metered (cost 0); with usage and no price, the cost is unknown (undefined).
    const settlement = { model: context.route.alias, costUsd: usage === undefined ? 0 : costUsd, tokens: usage?.totalTokens ?? 0 };
    if (cutShort && this.#lifecycle.state === 'cancelled') this.#lifecycle.settleCutShort(settlement);
    else this.#lifecycle.finished(settlement);
    this.#accessLogFacts = toProtoStruct({
      [METADATA_NAMESPACE]: {
        path: this.#clientPath,
        model: context.route.alias,
        model_served: this.#servedModel ?? served?.model ?? null,
        provider: served?.provider.name ?? null,
        attempts: context.attempts.length,
        prompt_tokens: usage?.promptTokens ?? null,
        completion_tokens: usage?.completionTokens ?? null,
        total_tokens: usage?.totalTokens ?? null,
        cost_usd: costUsd ?? null,
        key_alias: admission?.key.alias ?? null,
        ...(cutShort ? { outcome: 'cut_short' } : {}),
        ...(this.#guard?.cutBy !== undefined ? { guardrail: this.#guard.cutBy } : {}),
      },
    });
    this.#dependencies.meter.record({
      context,
      status,
      costUsd,
      keyAlias: admission?.key.alias,
      usage,
      servedModel: this.#servedModel,
      firstByteAt: this.#firstByteAt,
      endedAt: this.#dependencies.now(),
      cutShort,
      usageEstimated: this.#usageEstimated,
    });
  }

  #refuse(error: GatewayError, model?: string): ProcessingResponse {
    // A refusal after admission (no room, a request id in use) names the admitted key.
    const keyAlias = error.keyAlias ?? this.#lifecycle.admission?.key.alias ?? this.#modelsKeyAlias;
    this.#lifecycle.refused();
    this.#dependencies.meter.refuse(error, { requestId: this.#requestId, method: this.#method, path: this.#path, model, keyAlias });
    const reply = errorImmediateResponse(error, this.#clientFormat, { ...requestIdHeaders(this.#requestId), ...routingHeaders(this.#routeDecision, undefined, undefined) });
    // The access log names the refusal too. The model is the client's input: only a configured alias is written.
    const alias = model !== undefined && this.#view?.models.has(model) ? model : null;
    const guardrail = error.code === 'guardrail_blocked' ? { guardrail: this.#guard?.blockedBy ?? null } : {};
    reply.dynamic_metadata = toProtoStruct({ [METADATA_NAMESPACE]: { path: this.#clientPath, model: alias, error: error.code, key_alias: keyAlias ?? null, ...guardrail } });
    return reply;
  }
}

const EMPTY = Buffer.alloc(0);
const EVENT_END = Buffer.from('\n\n');

/** A single-target model's tries, as Envoy counted them: the same target, once per try. */
function recordRetries(context: RequestContext, count: number): void {
  const first = context.attempts[0];
  if (first === undefined || !Number.isInteger(count)) return;
  while (context.attempts.length < count) context.attempts.push(first);
}

/** Server-sent events in a chunk the translators wrote (they always end events with a blank line). */
function countEvents(chunk: Buffer): number {
  let count = 0;
  for (let at = chunk.indexOf(EVENT_END); at !== -1; at = chunk.indexOf(EVENT_END, at + 2)) count += 1;
  return count;
}

/** The trace id of a valid W3C traceparent (version 00), or undefined. */
function parseTraceparent(value: string | undefined): string | undefined {
  const match = value === undefined ? null : /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(value.trim());
  if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
  return match[1];
}

/** The answer while every target of a model is paused at its provider's request. */
function pausedModel(alias: string, pausedMs: number): GatewayError {
  const seconds = retryAfterSeconds(pausedMs);
  return new GatewayError({
    status: 429,
    code: 'provider_paused',
    type: 'rate_limit_error',
    message: `Model '${alias}' is paused: its provider asked for no requests for now. Retry after ${seconds} s.`,
    headers: { 'retry-after': seconds },
  });
}
