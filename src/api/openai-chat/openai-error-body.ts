import type { GatewayError } from '../../errors.js';
import type { FailureKind, UpstreamFailure } from '../../model/upstream-failure.js';

/** OpenAI's error body (openai-openapi `ErrorResponse`), which every OpenAI SDK parses. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** A gateway refusal in OpenAI's shape; `type` and `code` follow OpenAI's vocabulary. */
export function openAIErrorBodyOfGatewayError(error: GatewayError): OpenAIErrorBody {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}

/** A provider's failure in OpenAI's shape: the provider's message, its code kept for clients that match on it. */
export function openAIErrorBodyOfFailure(failure: UpstreamFailure): OpenAIErrorBody {
  return { error: { message: failure.message, type: openAIErrorType(failure.kind), param: failure.param ?? null, code: failure.code ?? null } };
}

/** OpenAI's `error.type` for each kind (openai-node src/core/error.ts picks the exception class by status alone). */
export function openAIErrorType(kind: FailureKind): string {
  switch (kind) {
    case 'invalid_request':
    case 'request_too_large':
      return 'invalid_request_error';
    case 'authentication':
      return 'authentication_error';
    case 'permission':
      return 'permission_error';
    case 'not_found':
      return 'not_found_error';
    case 'rate_limit':
      return 'rate_limit_error';
    case 'quota':
      return 'insufficient_quota';
    case 'overloaded':
    case 'timeout':
    case 'server':
      return 'server_error';
    default: {
      const unhandled: never = kind;
      return unhandled;
    }
  }
}
