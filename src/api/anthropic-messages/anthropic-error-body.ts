import { GatewayError } from '../../errors.js';
import type { FailureKind, UpstreamFailure } from '../../model/upstream-failure.js';

/**
 * Anthropic's error types (https://docs.claude.com/en/api/errors; @anthropic-ai/sdk 1.14.0
 * src/resources/shared.ts `ErrorType`, which lists all but request_too_large, a type the
 * docs give for 413 bodies that Cloudflare writes before a request reaches Anthropic).
 */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

/** `{"type":"error","error":{"type","message"}}` (SDK `ErrorResponse`). */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
}

/**
 * The status Anthropic answers overloaded_error with. Not a registered HTTP status, but the
 * one Anthropic's clients know: @anthropic-ai/sdk maps it to OverloadedError (a subclass of
 * InternalServerError that the SDK retries), and Claude Code reports and handles repeated
 * 529s as the API being overloaded rather than as a generic server failure.
 */
export const ANTHROPIC_OVERLOADED_STATUS = 529;

/**
 * The body of an error in Anthropic's shape, for a refusal of the gateway's own or a
 * provider's failure. The type follows the status an Anthropic client will see
 * (anthropicErrorStatus), so the SDK's class (chosen by status) and the body's type agree.
 * Anthropic's body carries no `param`: the message names the field (`max_tokens: ...`).
 */
export function anthropicErrorBody(error: GatewayError | UpstreamFailure): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(anthropicErrorStatus(error)), message: error.message } };
}

/**
 * The HTTP status for the error, chosen for @anthropic-ai/sdk, which picks its exception class
 * by status alone (src/core/error.ts `APIError.generate`: 400 BadRequestError, 401, 402
 * PaymentRequiredError, 403, 404, 413 ContentTooLargeError, 429 RateLimitError, 503
 * ServiceUnavailableError, 504 GatewayTimeoutError, 529 OverloadedError, other 5xx
 * InternalServerError) and retries 408, 409, 429 and every 5xx.
 *
 * - A gateway refusal keeps its status. 503 (too many requests in flight, a store down) stays
 *   503 rather than 529: the gateway answers those as Envoy immediate responses, whose
 *   status is an envoy.type.v3.StatusCode enum that has no 529; and ServiceUnavailableError
 *   is retried the same way.
 * - A provider failure is mapped by kind: an overloaded provider (OpenAI's or Gemini's 503,
 *   Anthropic's own 529) becomes 529, which is what an Anthropic client gets from Anthropic
 *   and what Claude Code treats as "overloaded"; a quota failure (OpenAI's insufficient_quota
 *   429) becomes 402 billing_error, which the SDK does not retry, since retrying cannot help.
 */
export function anthropicErrorStatus(error: GatewayError | UpstreamFailure): number {
  if (error instanceof GatewayError) return error.status;
  return statusOfKind(error.kind, error.status);
}

function statusOfKind(kind: FailureKind, status: number): number {
  switch (kind) {
    case 'invalid_request':
      // 400, or another 4xx the provider chose (422...), which the SDK maps to its own class.
      return status >= 400 && status < 500 && !NAMED_CLIENT_STATUSES.has(status) ? status : 400;
    case 'authentication':
      return 401;
    case 'quota':
      return 402;
    case 'permission':
      return 403;
    case 'not_found':
      return 404;
    case 'request_too_large':
      return 413;
    case 'rate_limit':
      return 429;
    case 'overloaded':
      return ANTHROPIC_OVERLOADED_STATUS;
    case 'timeout':
      return 504;
    case 'server':
      return status >= 500 && status !== 503 && status !== 504 && status !== ANTHROPIC_OVERLOADED_STATUS ? status : 500;
    default: {
      const unhandled: never = kind;
      return unhandled;
    }
  }
}

/** Client statuses whose meaning is another kind's: an invalid request never answers with them. */
const NAMED_CLIENT_STATUSES: ReadonlySet<number> = new Set([401, 402, 403, 404, 413, 429]);

/** Anthropic's type for each status (https://docs.claude.com/en/api/errors, "HTTP errors"). */
export function anthropicErrorType(status: number): AnthropicErrorType {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case ANTHROPIC_OVERLOADED_STATUS:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}
