/**
 * A provider's error (an HTTP error response, or an error event mid-stream) in neutral
 * terms, which each client format's writer turns into its own error body: OpenAI's
 * `{"error":{message,type,param,code}}` or Anthropic's `{"type":"error","error":{type,message}}`.
 */
export interface UpstreamFailure {
  /** The HTTP status the client should see (a provider's own non-standard ones already mapped, e.g. 529 -> 503). */
  status: number;
  kind: FailureKind;
  /** The provider's own message. */
  message: string;
  /** The provider's error code or type, kept for clients that match on it. */
  code?: string | undefined;
  /** The request parameter at fault, when the provider names it. */
  param?: string | undefined;
}

/**
 * What went wrong, in the categories both OpenAI's and Anthropic's SDKs distinguish.
 * quota: money or plan limits (retrying does not help), unlike rate_limit.
 */
export type FailureKind =
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'request_too_large'
  | 'rate_limit'
  | 'quota'
  | 'overloaded'
  | 'timeout'
  | 'server';

/** The kind an HTTP status implies when the provider says nothing more precise. */
export function failureKindOfStatus(status: number): FailureKind {
  if (status === 401) return 'authentication';
  if (status === 402) return 'quota';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit';
  if (status === 503 || status === 529) return 'overloaded';
  if (status === 504) return 'timeout';
  if (status >= 500) return 'server';
  return 'invalid_request';
}
