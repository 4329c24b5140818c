import type { TargetRuntime } from '../config/runtime.js';
import type { UpstreamRequest } from '../providers/provider-adapter.js';
import type { ProviderRegistry } from '../providers/registry.js';

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

/**
 * One HTTP endpoint of the gateway's API (after Envoy AI Gateway's endpointspec): where it
 * is, how its body is read and refused, what it asks for, and how one attempt's provider
 * request is built for it. The router processor knows no endpoint by name; it asks the
 * registry which one a request is for and then works through this interface.
 */
export interface Endpoint<Request = unknown> {
  /** Stable name for logs, metrics and the access log. */
  readonly name: EndpointName;
  readonly method: 'GET' | 'POST';
  /** Paths served, without query string or trailing slash. */
  readonly paths: readonly string[];
  readonly clientFormat: ClientFormat;
  /** The validated request, or a GatewayError (400) naming what is wrong, in this endpoint's terms. */
  parse(body: Buffer): Request;
  /** The model alias asked for. */
  model(request: Request): string;
  isStream(request: Request): boolean;
  /** Whether a streaming client asked to be told the usage (OpenAI's stream_options.include_usage; Anthropic always is). */
  includeUsage(request: Request): boolean;
  admissionBounds(request: Request, bodyBytes: number): AdmissionBounds;
  /** The text a provider turns into prompt tokens, for the tokenizer (cut-short streams, context checks). */
  promptText(request: Request): string;
  /**
   * One attempt's provider request (path, headers without credentials, body). Throws a
   * GatewayError (400) when the target cannot honour the request.
   */
  buildUpstream(registry: ProviderRegistry, request: Request, target: TargetRuntime): UpstreamRequest;
}

export type EndpointName = 'chat.completions' | 'messages' | 'messages.count_tokens' | 'embeddings' | 'models';
