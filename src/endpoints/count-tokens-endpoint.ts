import type { CountTokensRequest } from '../api/anthropic-messages/count-tokens-request.js';
import { writeCountTokensResponse } from '../api/anthropic-messages/count-tokens-response.js';
import { messagesPromptText } from '../api/anthropic-messages/messages-prompt.js';
import { parseCountTokensRequest } from '../api/anthropic-messages/parse-count-tokens-request.js';
import { attemptTargetOf, usableAdapter } from '../gateway/prepare-upstream-request.js';
import { anthropicMessagesPassthrough } from '../providers/anthropic/anthropic-messages-passthrough.js';
import { buildAnthropicMessagesRequest } from '../providers/anthropic/build-anthropic-messages-request.js';
import type { Endpoint } from './endpoint.js';

/** A count_tokens request with the client's Anthropic headers. */
export interface CountTokensCall {
  request: CountTokensRequest;
  anthropicVersion: string | undefined;
  anthropicBeta: string | undefined;
}

/**
 * The response header that marks a count the gateway estimated: the value names the
 * tokenizer. Anthropic's own counts (an Anthropic target) come without it.
 */
export const TOKEN_COUNT_ESTIMATE_HEADER = 'x-gateway-token-count';

/** TOKEN_COUNT_ESTIMATE_HEADER's value: the count is the gateway's, with OpenAI's o200k_base encoding. */
export const TOKEN_COUNT_ESTIMATE = 'estimate; tokenizer=o200k_base';

/**
 * POST /v1/messages/count_tokens (https://docs.claude.com/en/api/messages-count-tokens),
 * which Claude Code calls to size its context:
 * - an Anthropic target: passed through like a Messages request (model renamed, the
 *   client's anthropic-version and -beta), Anthropic's count passed back;
 * - any other target: answered by the gateway with the tokenizer's count of the prompt's
 *   text (OpenAI's o200k_base), marked with TOKEN_COUNT_ESTIMATE_HEADER. Images and
 *   documents are not counted. No provider is called, so nothing is metered.
 * Keys, model scopes and rate limits apply either way; nothing is reserved against a
 * budget, since counting generates nothing.
 */
export const countTokensEndpoint: Endpoint<CountTokensCall> = {
  name: 'messages.count_tokens',
  method: 'POST',
  paths: ['/v1/messages/count_tokens'],
  clientFormat: 'anthropic',
  responseIdPrefix: 'msg_',
  parse(body, headers) {
    return { request: parseCountTokensRequest(body), anthropicVersion: headers['anthropic-version'], anthropicBeta: headers['anthropic-beta'] };
  },
  model: (call) => call.request.model,
  isStream: () => false,
  includeUsage: () => false,
  admissionBounds: () => ({ promptTokens: 0, maxOutputTokens: 0 }),
  promptText: (call) => messagesPromptText(call.request),
  buildUpstream(registry, call, target) {
    usableAdapter(registry, target);
    if (target.provider.kind !== 'anthropic') {
      // The router answers these itself (localAnswer); a fallback attempt to such a target has nothing to send.
      throw new Error(`count_tokens cannot be forwarded to a ${target.provider.kind} provider`);
    }
    return buildAnthropicMessagesRequest(call.request, { version: call.anthropicVersion, beta: call.anthropicBeta }, attemptTargetOf(target), 'messages/count_tokens');
  },
  localAnswer(call, target) {
    if (target.provider.kind === 'anthropic') return undefined;
    return async (counter) => ({
      body: writeCountTokensResponse(await counter.count(messagesPromptText(call.request))),
      headers: { [TOKEN_COUNT_ESTIMATE_HEADER]: TOKEN_COUNT_ESTIMATE },
    });
  },
  responseHandling: (_registry, kind) => (kind === 'anthropic' ? anthropicMessagesPassthrough : undefined),
};
