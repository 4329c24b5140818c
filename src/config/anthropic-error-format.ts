import { anthropicErrorType } from '../api/anthropic-messages/anthropic-error-body.js';
import type { ClientErrorFormat } from './render-local-reply-config.js';

/**
 * Anthropic's error body, `{"type":"error","error":{"type","message"}}`
 * (https://docs.claude.com/en/api/errors), for Envoy's own replies to requests under
 * /v1/messages (and /messages, which the endpoint registry also serves), so an Anthropic
 * SDK or Claude Code reads a local reply as it reads Anthropic's. The type follows the
 * status as the SDK maps it (anthropicErrorType); a catch-all kind covering a range of
 * statuses gets the range's general type, since the body is fixed when Envoy is configured.
 */
export const anthropicErrorFormat: ClientErrorFormat = {
  pathPrefixes: ['/v1/messages', '/messages'],
  body: (kind) => ({
    type: 'error',
    error: {
      type: typeof kind.status === 'number' ? anthropicErrorType(kind.status) : kind.fault === 'client' ? 'invalid_request_error' : 'api_error',
      message: kind.message,
    },
  }),
};
