import { defaultTypeForStatus, type OpenAIErrorBody, type OpenAIErrorType } from '../../errors.js';
import { toOpenAIError as toOpenAICompatibleError } from '../openai/to-openai-error.js';
import type { TranslatedResponse, UpstreamResponse } from '../provider-adapter.js';
import { anthropicErrorBodySchema, type AnthropicError } from './anthropic-api.js';

/**
 * An Anthropic error response (https://docs.claude.com/en/api/errors) in OpenAI's error
 * shape. OpenAI SDKs pick their exception class from the HTTP status alone
 * (openai-node src/core/error.ts), so the status is what must be right:
 * - 529 overloaded_error has no OpenAI counterpart (the SDKs would see a generic error);
 *   it becomes 503, OpenAI's "overloaded, slow down".
 * - every other status is kept: 400, 401, 402 billing_error, 403, 404, 413
 *   request_too_large, 429 (with its retry-after header, which Envoy passes on), 500, 504.
 * The message is Anthropic's own; `code` is Anthropic's error type, except for a spend-limit
 * 429, which is OpenAI's "insufficient_quota" (a quota, not a rate limit: retrying does not help).
 * A body that is not Anthropic's shape (the gateway's or Envoy's own OpenAI-shaped error,
 * plain text from a proxy) is handled as an OpenAI-compatible server's error: OpenAI-shaped
 * bodies pass through unchanged, anything else is wrapped.
 */
export function toOpenAIError(response: UpstreamResponse): TranslatedResponse {
  const status = mapAnthropicErrorStatus(response.status);
  const error = readAnthropicError(response.body);
  if (!error) return toOpenAICompatibleError({ ...response, status });
  return {
    status,
    body: Buffer.from(JSON.stringify(openAIErrorFromAnthropic(error, status))),
    headers: { 'content-type': 'application/json' },
    usage: undefined,
    model: undefined,
  };
}

/**
 * The OpenAI error body for an Anthropic error object; also used for `error` events inside a
 * stream, which have no HTTP status of their own (an error type Anthropic adds later is then
 * a server error, as the stream had started fine).
 */
export function openAIErrorFromAnthropic(error: AnthropicError, status = 500): OpenAIErrorBody {
  if (error.details?.error_code === 'enforced_spend_limit_reached') {
    return { error: { message: error.message, type: 'insufficient_quota', param: null, code: 'insufficient_quota' } };
  }
  return { error: { message: error.message, type: mapAnthropicErrorType(error.type, status), param: null, code: error.type } };
}

function mapAnthropicErrorStatus(status: number): number {
  return status === 529 ? 503 : status;
}

/** Anthropic's error types (anthropic-sdk-typescript src/resources/shared.ts `ErrorType`) in OpenAI's vocabulary. */
function mapAnthropicErrorType(type: string, status: number): OpenAIErrorType {
  switch (type) {
    case 'invalid_request_error':
    case 'request_too_large':
      return 'invalid_request_error';
    case 'authentication_error':
      return 'authentication_error';
    case 'permission_error':
      return 'permission_error';
    case 'not_found_error':
      return 'not_found_error';
    case 'rate_limit_error':
      return 'rate_limit_error';
    case 'billing_error':
      return 'insufficient_quota';
    case 'overloaded_error':
    case 'api_error':
    case 'timeout_error':
      return 'server_error';
    default:
      return defaultTypeForStatus(status);
  }
}

/** The error object of an Anthropic-shaped body (`{"type":"error","error":{...}}`), or undefined for anything else. */
function readAnthropicError(body: Buffer): AnthropicError | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = anthropicErrorBodySchema.safeParse(value);
  return parsed.success ? parsed.data.error : undefined;
}
