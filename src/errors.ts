/**
 * One error type for every refusal and failure the gateway reports, and the one place
 * that turns it into the OpenAI error body a client SDK can parse.
 *
 * OpenAI's SDKs pick their exception class from the HTTP status alone
 * (openai-node src/core/error.ts), so the status is what must be right; `type` and
 * `code` follow OpenAI's own vocabulary so that clients matching on them keep working.
 */
export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'server_error'
  | 'api_error';

export interface GatewayErrorOptions {
  status: number;
  code: string;
  message: string;
  type?: OpenAIErrorType;
  param?: string | null;
  /** Whether the same request might succeed later (used for logging and metrics, never for routing). */
  retryable?: boolean;
  /** Extra response headers, e.g. `retry-after`. */
  headers?: Record<string, string>;
  /** The alias of the virtual key refused, when the refusal is about a known key (for its log line). */
  keyAlias?: string;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly code: string;
  readonly type: OpenAIErrorType;
  readonly param: string | null;
  readonly retryable: boolean;
  readonly headers: Record<string, string>;
  readonly keyAlias: string | undefined;

  constructor(options: GatewayErrorOptions) {
    super(options.message);
    this.name = 'GatewayError';
    this.status = options.status;
    this.code = options.code;
    this.type = options.type ?? defaultTypeForStatus(options.status);
    this.param = options.param ?? null;
    this.retryable = options.retryable ?? options.status >= 500;
    this.headers = options.headers ?? {};
    this.keyAlias = options.keyAlias;
  }
}

export function defaultTypeForStatus(status: number): OpenAIErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 402) return 'insufficient_quota';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function toOpenAIErrorBody(error: GatewayError): OpenAIErrorBody {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}

/** Anything thrown that is not a GatewayError is a bug: report it as a 500 without leaking its text. */
export function asGatewayError(thrown: unknown): GatewayError {
  if (thrown instanceof GatewayError) return thrown;
  return new GatewayError({ status: 500, code: 'internal_error', message: 'The gateway failed to process this request.' });
}
