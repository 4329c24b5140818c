import { chatRequestNeeds } from '../capabilities/chat-request-needs.js';
import { promptText } from '../gateway/estimate-usage.js';
import { parseChatRequest } from '../gateway/parse-chat-request.js';
import { checkUpstreamRequest, prepareUpstreamRequest } from '../gateway/prepare-upstream-request.js';
import { promptTokensUpperBound, requestedMaxOutputTokens } from '../governance/prompt-upper-bound.js';
import type { ChatCompletionRequest } from '../providers/openai/openai-api.js';
import type { Endpoint } from './endpoint.js';

/**
 * POST /v1/chat/completions (openai-openapi `createChatCompletion`): OpenAI's Chat
 * Completions, served by every provider kind (passed through to OpenAI-compatible ones,
 * translated for the others).
 */
export const chatCompletionsEndpoint: Endpoint<ChatCompletionRequest> = {
  name: 'chat.completions',
  method: 'POST',
  paths: ['/v1/chat/completions'],
  clientFormat: 'openai',
  responseIdPrefix: 'chatcmpl-',
  parse: (body) => parseChatRequest(body),
  model: (request) => request.model,
  isStream: (request) => request.stream === true,
  includeUsage: (request) => request.stream === true && request.stream_options?.include_usage === true,
  admissionBounds: (request, bodyBytes) => ({ promptTokens: promptTokensUpperBound(request, bodyBytes), maxOutputTokens: requestedMaxOutputTokens(request) }),
  promptText,
  needs: chatRequestNeeds,
  buildUpstream: prepareUpstreamRequest,
  checkUpstream: checkUpstreamRequest,
  // Every adapter speaks OpenAI's format back: passed through for OpenAI-compatible targets, translated for the others.
  responseHandling: (registry, kind) => registry.get(kind),
};
