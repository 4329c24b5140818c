import type { CountTokensRequest } from '../../api/anthropic-messages/count-tokens-request.js';
import type { MessagesRequest } from '../../api/anthropic-messages/messages-request.js';
import type { AttemptTarget, UpstreamRequest } from '../provider-adapter.js';

/** The API version sent when the client named none (the one every Anthropic SDK before 1.0 pins). */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

/** The client's Anthropic headers that decide how Anthropic reads the request. */
export interface AnthropicClientHeaders {
  /** `anthropic-version`, as the client sent it. */
  version?: string | undefined;
  /** `anthropic-beta`, as the client sent it (comma-separated feature names). */
  beta?: string | undefined;
}

/**
 * An Anthropic Messages request for an Anthropic target (POST {base}/messages,
 * https://docs.claude.com/en/api/messages): the client's body with the model renamed to the
 * target's, the client's `anthropic-version` and `anthropic-beta` (they change what Anthropic
 * accepts and returns, so they must be the client's), and the provider key in `x-api-key`
 * (https://docs.claude.com/en/api/overview#authentication). Unknown fields pass on: Anthropic
 * judges them.
 *
 * `operation` is the path under the base URL: `messages`, or `messages/count_tokens`
 * (https://docs.claude.com/en/api/messages-count-tokens), which takes the same headers.
 */
export function buildAnthropicMessagesRequest(
  request: MessagesRequest | CountTokensRequest,
  headers: AnthropicClientHeaders,
  target: AttemptTarget,
  operation: 'messages' | 'messages/count_tokens' = 'messages',
): UpstreamRequest {
  const upstreamHeaders: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': headers.version ?? DEFAULT_ANTHROPIC_VERSION };
  if (headers.beta !== undefined && headers.beta !== '') upstreamHeaders['anthropic-beta'] = headers.beta;
  if (target.credential !== undefined) upstreamHeaders['x-api-key'] = target.credential;
  return { path: `${target.pathPrefix}/${operation}`, headers: upstreamHeaders, body: Buffer.from(JSON.stringify({ ...request, model: target.model })) };
}
