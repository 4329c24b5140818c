import { messagesRequestNeeds } from '../capabilities/messages-request-needs.js';
import type { MessagesRequest } from '../api/anthropic-messages/messages-request.js';
import { messagesMediaBlocks, messagesPromptText } from '../api/anthropic-messages/messages-prompt.js';
import { parseMessagesRequest } from '../api/anthropic-messages/parse-messages-request.js';
import { attemptTargetOf, checkedTargetOf, usableAdapter } from '../gateway/prepare-upstream-request.js';
import { TOKENS_PER_IMAGE_BOUND } from '../governance/prompt-upper-bound.js';
import { anthropicMessagesPassthrough } from '../providers/anthropic/anthropic-messages-passthrough.js';
import { buildAnthropicMessagesRequest } from '../providers/anthropic/build-anthropic-messages-request.js';
import { convertMessagesToChat } from '../providers/openai/anthropic-messages-to-openai-chat.js';
import { OPENAI_CHAT_TARGET } from '../providers/openai/openai-chat-target.js';
import type { Endpoint } from './endpoint.js';
import { messagesThroughChat } from './messages-through-chat.js';

/** A Messages request with the two client headers that decide how Anthropic reads it. */
export interface MessagesCall {
  request: MessagesRequest;
  /** `anthropic-version` as the client sent it. */
  anthropicVersion: string | undefined;
  /** `anthropic-beta` as the client sent it (comma-separated). */
  anthropicBeta: string | undefined;
}

/**
 * POST /v1/messages (https://docs.claude.com/en/api/messages): Anthropic's Messages API, as
 * Claude Code and the Anthropic SDKs call it.
 * - Anthropic targets: the body passes through with the target's model name and the
 *   client's anthropic-version and anthropic-beta; the answer's bytes pass through, read
 *   only for usage.
 * - Other targets: the request becomes a Chat Completions request (convertMessagesToChat,
 *   which refuses with a 400 what the target cannot honour), which the provider's adapter
 *   writes for its API (OpenAI's own field rules: OPENAI_CHAT_TARGET, since the configuration
 *   does not yet say what a self-hosted server takes); the answer comes back through the OpenAI readers and the Anthropic
 *   writers (messagesThroughChat).
 */
export const messagesEndpoint: Endpoint<MessagesCall> = {
  name: 'messages',
  method: 'POST',
  paths: ['/v1/messages'],
  clientFormat: 'anthropic',
  responseIdPrefix: 'msg_',
  parse(body, headers) {
    const anthropicVersion = headers['anthropic-version'];
    const anthropicBeta = headers['anthropic-beta'];
    const betas = anthropicBeta?.split(',').map((beta) => beta.trim()).filter((beta) => beta !== '');
    return { request: parseMessagesRequest(body, { anthropicVersion, betas }), anthropicVersion, anthropicBeta };
  },
  model: (call) => call.request.model,
  isStream: (call) => call.request.stream === true,
  // Anthropic's stream always ends with the usage (message_delta).
  includeUsage: () => true,
  admissionBounds: (call, bodyBytes) => ({ promptTokens: bodyBytes + messagesMediaBlocks(call.request) * TOKENS_PER_IMAGE_BOUND, maxOutputTokens: call.request.max_tokens }),
  promptText: (call) => messagesPromptText(call.request),
  needs: (call) => messagesRequestNeeds(call.request),
  buildUpstream(registry, call, target) {
    const adapter = usableAdapter(registry, target);
    if (target.provider.kind === 'anthropic') {
      return buildAnthropicMessagesRequest(call.request, { version: call.anthropicVersion, beta: call.anthropicBeta }, attemptTargetOf(target));
    }
    return adapter.buildRequest(convertMessagesToChat(call.request, OPENAI_CHAT_TARGET), attemptTargetOf(target));
  },
  checkUpstream(registry, call, target) {
    const adapter = usableAdapter(registry, target);
    // Anthropic judges a passed-through request itself: nothing to refuse here.
    if (target.provider.kind === 'anthropic') return;
    adapter.checkRequest(convertMessagesToChat(call.request, OPENAI_CHAT_TARGET), checkedTargetOf(target));
  },
  responseHandling(registry, kind) {
    if (kind === 'anthropic') return anthropicMessagesPassthrough;
    const adapter = registry.get(kind);
    return adapter === undefined ? undefined : messagesThroughChat(adapter);
  },
};

