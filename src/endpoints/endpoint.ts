import type { TargetRuntime } from '../config/runtime.js';
import type { ProviderKind } from '../config/schema.js';
import type { ProviderAdapter, UpstreamRequest } from '../providers/provider-adapter.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { RequestNeeds } from '../capabilities/request-needs.js';

/**
 * The client formats the gateway speaks. Each has its own error body (refusals, Envoy's
 * local replies) and its own stream and body writers.
 */
export type ClientFormat = 'openai' | 'anthropic';

/** What a request may use at most, for budget reservations: bounds no provider's count exceeds. */
export interface AdmissionBounds {
  promptTokens: number;
  /** The most output the request may produce, or undefined when it sets no limit (the model's maximum applies). */
  maxOutputTokens: number | undefined;
}

/** Request headers as Envoy sent them (lower-case names), for endpoints whose rules depend on one. */
export type RequestHeaders = Readonly<Record<string, string>>;

/**
 * How the answer of one provider kind reaches this endpoint's client: the whole body
 * translated (or passed through and read for metering), or a per-request stream translator.
 * The same two operations a provider adapter offers for chat completions; an endpoint that
 * never streams (embeddings) has no stream translator, and an event stream passes through.
 */
export type ResponseHandling = Pick<ProviderAdapter, 'translateResponse'> & Partial<Pick<ProviderAdapter, 'createStreamTranslator' | 'passesSuccessThrough'>>;

/** Where an endpoint is, and which format its refusals take: what the registry needs to match a request. */
export interface EndpointLocation {
  /** Stable name for logs, metrics and the access log. */
  readonly name: EndpointName;
  readonly method: 'GET' | 'POST';
  /** Paths served, without query string or trailing slash; a trailing "/*" is a path parameter. */
  readonly paths: readonly string[];
  readonly clientFormat: ClientFormat;
}

/**
 * One HTTP endpoint of the gateway's API (after Envoy AI Gateway's endpointspec): where it
 * is, how its body is read and refused, what it asks for, and how one attempt's provider
 * request is built for it. The router processor knows no endpoint by name; it asks the
 * registry which one a request is for and then works through this interface.
 */
export interface Endpoint<Request = unknown> extends EndpointLocation {
  /** Prefix of the ids of answers the gateway writes itself ("chatcmpl-", "msg_"). */
  readonly responseIdPrefix: string;
  /**
   * The validated request, or a GatewayError (400) naming what is wrong, in this endpoint's
   * terms. `headers` are the client's, read before the gateway strips them.
   */
  parse(body: Buffer, headers: RequestHeaders): Request;
  /** The model alias asked for. */
  model(request: Request): string;
  isStream(request: Request): boolean;
  /** Whether a streaming client asked to be told the usage (OpenAI's stream_options.include_usage; Anthropic always is). */
  includeUsage(request: Request): boolean;
  admissionBounds(request: Request, bodyBytes: number): AdmissionBounds;
  /** The text a provider turns into prompt tokens, for the tokenizer (cut-short streams, context checks). */
  promptText(request: Request): string;
  /** What the request needs of its model (tools, images, ...), checked against each target's capabilities; absent: nothing is checked. */
  needs?(request: Request): RequestNeeds;
  /**
   * One attempt's provider request (path, headers without credentials, body). Throws a
   * GatewayError (400) when the target cannot honour the request.
   */
  buildUpstream(registry: ProviderRegistry, request: Request, target: TargetRuntime): UpstreamRequest;
  /**
   * Whether the target can honour the request, without writing the body: throws what
   * buildUpstream would throw, else returns. Routing asks it of every target of a chain whose
   * attempts write their own requests. Absent: buildUpstream is the check.
   */
  checkUpstream?(registry: ProviderRegistry, request: Request, target: TargetRuntime): void;
  /**
   * For a target that cannot serve this endpoint but whose answer the gateway can make
   * itself (a token count estimated with the tokenizer): the work to do once the request is
   * admitted. Undefined: the request is forwarded. Absent on endpoints that always forward.
   */
  localAnswer?(request: Request, target: TargetRuntime): ((counter: TokenCounting) => Promise<LocalAnswer>) | undefined;
  /**
   * How answers from a target of this kind reach the client (undefined: no adapter for the
   * kind). `request` is this request, for answers written as it asked (embeddings' encoding).
   */
  responseHandling(registry: ProviderRegistry, kind: ProviderKind, request: Request): ResponseHandling | undefined;
}

/** Counts tokens with the gateway's tokenizer (gateway/token-counter.ts). */
export interface TokenCounting {
  count(text: string): Promise<number>;
}

/** A 200 the gateway writes itself: a JSON body and headers to set. */
export interface LocalAnswer {
  body: unknown;
  headers: Record<string, string>;
}

/** An endpoint whose request type the caller does not know (the router and the request context hold these). */
// biome-ignore lint/suspicious/noExplicitAny: endpoints differ in their request type, and a holder of any endpoint only hands an endpoint's own parse result back to it; unknown would make every method's parameter unassignable.
export type AnyEndpoint = Endpoint<any>;

export type EndpointName = 'chat.completions' | 'messages' | 'messages.count_tokens' | 'embeddings' | 'moderations' | 'models';
