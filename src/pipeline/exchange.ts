import type { ModelRoute, RuntimeView } from '../config/runtime.js';
import type { AdmissionBounds, AnyEndpoint, ClientFormat, LocalAnswer, ResponseHandling, TokenCounting } from '../endpoints/endpoint.js';
import type { TokenCounter } from '../gateway/token-counter.js';
import type { RequestContext } from '../gateway/request-context.js';
import type { Admission } from '../governance/governance.js';
import type { ProtoStruct } from '../extproc/messages.js';
import type { StreamTranslator, TranslationContext } from '../providers/provider-adapter.js';
import type { Usage } from '../providers/usage.js';
import type { ContentEncoding, StreamDecompressor } from '../streaming/decompressor.js';
import type { CachePlan } from '../cache/response-cache.js';
import type { AnswerCapture } from '../cache/answer-capture.js';
import type { CacheHit } from '../cache/semantic-cache.js';
import type { RouteChoice } from '../capabilities/choose-route.js';
import type { TargetChoiceInput } from '../capabilities/choose-targets.js';
import { TranslationMemo } from '../capabilities/translation-memo.js';
import type { RouteDecision } from '../routing/choose-by-route.js';
import type { RequestGuard } from '../guardrails/request-guard.js';
import type { PipelineDependencies } from './pipeline-dependencies.js';
import type { Observation } from './observation.js';
import { RequestLifecycle } from './request-lifecycle.js';

/**
 * One client request as it goes through the pipeline: what the router processor learnt
 * from Envoy's phases, what each request stage decided, and what the response observers
 * count. One per ext_proc stream; the stages and observers are shared and stateless, and
 * keep their per-request facts here (plain fields: the per-chunk path reads them directly).
 */
export class Exchange {
  readonly dependencies: PipelineDependencies;
  /** performance.now() when the request headers reached the sidecar. */
  readonly startedAt: number;
  readonly lifecycle: RequestLifecycle;

  // Request headers.
  method = '';
  /** :path without its query. */
  path = '';
  /** The client's :path as received; attempts rewrite :path in the header map Envoy shares with its access log. */
  clientPath = '';
  /** The format the client speaks, for its refusals: Anthropic's under /v1/messages, OpenAI's elsewhere. */
  clientFormat: ClientFormat = 'openai';
  /** The client's request headers as received (before credentials and internal headers are stripped). */
  requestHeaders: Readonly<Record<string, string>> = {};
  view: RuntimeView | undefined;
  /** The client's gateway key, read before the headers are stripped; never forwarded. */
  credential: string | undefined;
  /** Envoy's x-request-id: the request's one id in answers, the sidecar's log lines and Envoy's access log. */
  requestId = '';
  traceId = '';
  /** The endpoint the client called, once its method and path are known (forwarded endpoints only). */
  endpoint: AnyEndpoint | undefined;
  /** The key of a GET /v1/models caller, for the log line of a refusal. */
  modelsKeyAlias: string | undefined;
  /** The ext_proc stream ended (client gone, Envoy restarted): nothing more is admitted or forwarded. */
  closed = false;

  // Request stages.
  /** The client's request body, until the first stage has read it. */
  requestBody: Buffer = EMPTY;
  /** The client's request as the endpoint parsed it; after the targets are chosen, the one served (maybe shortened). */
  request: unknown;
  /** The model served: the client's, then the one its route chose. Refusals name it. */
  model: string | undefined;
  bounds: AdmissionBounds = NO_BOUNDS;
  /** Parameters left out of each target's request (drop_params), by target id. */
  readonly droppedParams = new Map<string, readonly string[]>();
  /** chooseTargets' input for a candidate model of a request (see stages/read-request.ts). */
  choiceInputFor: ((request: unknown) => (route: ModelRoute) => TargetChoiceInput) | undefined;
  /** The tokenizer for this request's checks, counting each text once (see authenticated-counter.ts). */
  counter: TokenCounting | undefined;
  /** This request's provider requests, each written once (a route's choice and the chosen model's ask for the same). */
  readonly translations = new TranslationMemo();
  /** The route's choice, when the client asked for a route: a refusal of the chosen model says what was chosen too. */
  routeDecision: RouteDecision | undefined;
  /** This request's guardrails (undefined: none apply). */
  guard: RequestGuard | undefined;
  /** The model's route, resolved once the model is final. */
  route: ModelRoute | undefined;
  /** The endpoint answers this request itself (an estimated token count). */
  localAnswer: ((counter: Omit<TokenCounter, 'start'>) => Promise<LocalAnswer>) | undefined;
  /** The targets chosen to serve the request. */
  chosen: RouteChoice | undefined;
  droppedTurns = 0;
  /** The admission governance gave (undefined: an open gateway's anonymous caller, or none asked). */
  admitted: Admission | undefined;
  /** Governance's store was asked (the lifecycle must then confirm the request was not cancelled meanwhile). */
  admissionAsked = false;
  /** What the response cache does for this request (undefined: the cache is off for it). */
  cachePlan: CachePlan | undefined;
  cacheHit: CacheHit | undefined;
  /** Reads the answer back for the cache; only for requests whose answer will be stored. */
  capture: AnswerCapture | undefined;
  /** The request as it will be forwarded, built at admission; it becomes `context` once handed to Envoy's router. */
  forwarding: RequestContext | undefined;
  /** The forwarded request, shared with the attempt processor through the request store. */
  context: RequestContext | undefined;
  /** Set when the answer may be read by the observer filter instead (pipeline/observation.ts). */
  observation: Observation | undefined;

  // Response.
  status = 0;
  handling: ResponseHandling | undefined;
  translation: TranslationContext | undefined;
  translator: StreamTranslator | undefined;
  encoding: ContentEncoding | undefined;
  decompressor: StreamDecompressor | undefined;
  /** The filter of a streamed answer, when output guardrails watch it. */
  answerFilter: { push(chunk: Buffer, endOfStream: boolean): Buffer | Promise<Buffer> } | undefined;
  usage: Usage | undefined;
  servedModel: string | undefined;
  firstByteAt: number | undefined;
  /** Server-sent events delivered to the client, for estimating output when a stream is cut short. */
  deliveredEvents = 0;
  usageEstimated = false;
  /** A cut-short stream's usage is being counted (the tokenizer answers asynchronously). */
  estimating = false;
  metered = false;
  /** Facts for Envoy's access log, attached to the reply that ends the response. */
  accessLogFacts: ProtoStruct | undefined;

  constructor(dependencies: PipelineDependencies) {
    this.dependencies = dependencies;
    this.startedAt = dependencies.now();
    this.lifecycle = new RequestLifecycle(dependencies.governance);
  }
}

const EMPTY = Buffer.alloc(0);
const NO_BOUNDS: AdmissionBounds = Object.freeze({ promptTokens: 0, maxOutputTokens: 0 }) as AdmissionBounds;
