import { moderationsPromptText, type ModerationsRequest } from '../api/openai-moderations/moderations-request.js';
import { parseModerationsRequest } from '../api/openai-moderations/parse-moderations-request.js';
import { GatewayError } from '../errors.js';
import { attemptTargetOf, usableAdapter } from '../gateway/prepare-upstream-request.js';
import { buildOpenAIModerationsRequest } from '../providers/openai/build-openai-moderations-request.js';
import { translateOpenAIEmbeddingsResponse } from '../providers/openai/translate-openai-embeddings-response.js';
import type { Endpoint, ResponseHandling } from './endpoint.js';

/**
 * POST /v1/moderations (openai-openapi `createModeration`), as `client.moderations.create`
 * calls it: `{model, input}` answered `{id, model, results: [{flagged, categories,
 * category_scores}]}`.
 * - OpenAI and OpenAI-compatible servers: the body passes through with the target's model
 *   name, the answer's bytes come back untouched. OpenAI reports no usage for moderations,
 *   so the prompt is counted by the gateway and metered as an estimate (as for embeddings
 *   without usage): key limits apply; a price of 0 for the model keeps it free.
 * - Every other kind (Azure OpenAI, whose content filters are not this API; Anthropic;
 *   Gemini; Bedrock): a 400 naming the model, nothing sent.
 * Nothing is generated: admission reserves no output, and the prompt bound is the body's size.
 */
export const moderationsEndpoint: Endpoint<ModerationsRequest> = {
  name: 'moderations',
  method: 'POST',
  paths: ['/v1/moderations'],
  clientFormat: 'openai',
  responseIdPrefix: 'modr-',
  parse: (body) => parseModerationsRequest(body),
  model: (request) => request.model,
  isStream: () => false,
  includeUsage: () => false,
  admissionBounds: (_request, bodyBytes) => ({ promptTokens: bodyBytes, maxOutputTokens: 0 }),
  promptText: moderationsPromptText,
  buildUpstream(registry, request, target) {
    usableAdapter(registry, target);
    if (target.provider.kind === 'openai') return buildOpenAIModerationsRequest(request, attemptTargetOf(target));
    throw new GatewayError({
      status: 400,
      code: 'unsupported_model',
      type: 'invalid_request_error',
      param: 'model',
      message: `Model '${request.model}' cannot classify content: its provider (${target.provider.kind}) has no moderations API. Use a model served by OpenAI or an OpenAI-compatible server.`,
    });
  },
  responseHandling(_registry, kind): ResponseHandling | undefined {
    // Same pass-through as embeddings: bytes untouched, usage read or counted.
    return kind === 'openai' ? { translateResponse: translateOpenAIEmbeddingsResponse } : undefined;
  },
};
