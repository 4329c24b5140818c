import type { ChatCompletionRequest } from './openai/openai-api.js';
import type { DeliveredOutput } from './delivered-output.js';
import type { Usage } from './usage.js';

/**
 * What every provider adapter offers. Adapters are pure: no I/O, clock, logger or
 * globals. What varies per request (ids, time, the credential) is passed in, which is what
 * lets tests replay recorded traffic and assert exact bytes.
 */
export interface ProviderAdapter {
  /** The upstream request for one attempt: path (with query), headers to set, body. */
  buildRequest(request: ChatCompletionRequest, target: AttemptTarget): UpstreamRequest;
  /**
   * Whether the target can honour the request, without writing its body: throws the
   * GatewayError (400) buildRequest would throw, else returns. Routing asks this of every
   * target of a chain; only the attempt that is sent pays for the body.
   */
  checkRequest(request: ChatCompletionRequest, target: AttemptTarget): void;
  /** Translates a whole (non-streamed) response body, success or error, to OpenAI form. */
  translateResponse(response: UpstreamResponse, context: TranslationContext): TranslatedResponse;
  /** A per-request object that turns the provider's event stream into OpenAI chunks. */
  createStreamTranslator(context: TranslationContext): StreamTranslator;
  /**
   * True when a 200 answer, whole or streamed, reaches an OpenAI client as the provider wrote it
   * (read only for metering), but for the usage chunk the gateway asked for when the client did not.
   */
  readonly passesSuccessThrough?: boolean;
}

export interface AttemptTarget {
  /** The model name the provider knows. */
  model: string;
  /** Path prefix of the provider's base URL ("/v1"). */
  pathPrefix: string;
  /** The provider credential, or undefined for an upstream that takes none (a local Ollama). */
  credential: string | undefined;
  /** Azure OpenAI's api-version, when the deployment path is used. */
  apiVersion?: string | undefined;
}

export interface UpstreamRequest {
  /** `:path`, including any query string. */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface TranslationContext {
  /** Id for responses the gateway writes itself (translated providers); OpenAI keeps its own. */
  responseId: string;
  /** Unix seconds. */
  created: number;
  /** The model name reported to the client when the provider's answer carries none. */
  model: string;
  /** Whether the client asked for a usage chunk (stream_options.include_usage). */
  includeUsage: boolean;
}

export interface TranslatedResponse {
  status: number;
  /** The new body, or undefined to pass the provider's bytes through unchanged. */
  body: Buffer | undefined;
  /** Extra response headers to set (e.g. content-type when an error body is rewritten). */
  headers?: Record<string, string>;
  usage: Usage | undefined;
  /** The model the provider says served the request. */
  model: string | undefined;
  /**
   * Set when the provider reported no usage (Gemini's embeddings): the final answer, given
   * the prompt tokens the gateway counted with its tokenizer. Its usage is metered as an
   * estimate. The translator stays pure; the caller does the counting.
   */
  completeUsage?: (estimatedPromptTokens: number) => TranslatedResponse;
}

export interface StreamTranslator {
  /** Consumes one chunk as Envoy delivered it; returns the bytes to send on (possibly empty). */
  push(chunk: Buffer): Buffer;
  /** The upstream ended; returns any bytes still owed to the client. */
  end(): Buffer;
  /** The latest usage the provider reported, if any yet. */
  readonly usage: Usage | undefined;
  /** The model the provider says served the request, once known. */
  readonly model: string | undefined;
  /**
   * Whether the provider ended the stream as its protocol says a finished stream ends (its
   * totals included). False after end() means the stream was cut off or failed mid-way, and
   * its usage must be estimated from what was delivered.
   */
  readonly complete: boolean;
  /**
   * The text delivered so far, for a translated stream; undefined for a pass-through stream
   * whose events carry about one token each and are counted as events.
   */
  readonly delivered: DeliveredOutput | undefined;
}
