import type { ClientErrorFormat } from './render-local-reply-config.js';

/**
 * OpenAI's error body, `{"error": {"message", "type", "param", "code"}}`, for Envoy's own
 * replies; the default client format. The OpenAI SDKs pick the exception from the status and
 * read message and code from the body (https://platform.openai.com/docs/guides/error-codes).
 */
export const openAIErrorFormat: ClientErrorFormat = {
  body: (kind) => ({
    error: {
      message: kind.message,
      type: kind.fault === 'client' ? 'invalid_request_error' : 'server_error',
      param: null,
      code: kind.code,
    },
  }),
};
