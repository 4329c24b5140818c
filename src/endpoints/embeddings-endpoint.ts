import { embeddingsPromptText, type EmbeddingsRequest } from '../api/openai-embeddings/embeddings-request.js';
import { parseEmbeddingsRequest } from '../api/openai-embeddings/parse-embeddings-request.js';
import { GatewayError } from '../errors.js';
import { attemptTargetOf, usableAdapter } from '../gateway/prepare-upstream-request.js';
import { buildGeminiEmbeddingsRequest } from '../providers/gemini/build-gemini-embeddings-request.js';
import { translateGeminiEmbeddingsResponse } from '../providers/gemini/translate-gemini-embeddings-response.js';
import { buildAzureOpenAIEmbeddingsRequest, buildOpenAIEmbeddingsRequest } from '../providers/openai/build-openai-embeddings-request.js';
import { translateOpenAIEmbeddingsResponse } from '../providers/openai/translate-openai-embeddings-response.js';
import type { Endpoint, ResponseHandling } from './endpoint.js';

/**
 * POST /v1/embeddings (openai-openapi `createEmbedding`), as `client.embeddings.create` calls it.
 * - OpenAI, Azure OpenAI and OpenAI-compatible servers (Ollama, vLLM, TEI): the body passes
 *   through with the target's model name, the answer's bytes come back untouched, read for usage.
 * - Gemini: `embedContent` for one string, `batchEmbedContents` for an array; the answer is
 *   rewritten in OpenAI's form, base64 included, with the prompt counted by the gateway
 *   (Gemini reports no usage), marked as an estimate.
 * - Anthropic has no embeddings API: a 400 naming the model.
 * Nothing is generated, so admission reserves no output (maxOutputTokens 0); the prompt bound
 * is the body's size (a token covers at least one byte, and a token id takes at least two).
 */
export const embeddingsEndpoint: Endpoint<EmbeddingsRequest> = {
  name: 'embeddings',
  method: 'POST',
  paths: ['/v1/embeddings'],
  clientFormat: 'openai',
  responseIdPrefix: 'emb-',
  parse: (body) => parseEmbeddingsRequest(body),
  model: (request) => request.model,
  isStream: () => false,
  includeUsage: () => false,
  admissionBounds: (_request, bodyBytes) => ({ promptTokens: bodyBytes, maxOutputTokens: 0 }),
  promptText: embeddingsPromptText,
  buildUpstream(registry, request, target) {
    usableAdapter(registry, target);
    const attempt = attemptTargetOf(target);
    switch (target.provider.kind) {
      case 'openai':
        return buildOpenAIEmbeddingsRequest(request, attempt);
      case 'azure-openai':
        return buildAzureOpenAIEmbeddingsRequest(request, attempt);
      case 'gemini':
        return buildGeminiEmbeddingsRequest(request, attempt);
      default:
        throw new GatewayError({
          status: 400,
          code: 'unsupported_model',
          type: 'invalid_request_error',
          param: 'model',
          message: `Model '${request.model}' cannot create embeddings: its provider (${target.provider.kind}) has no embeddings API. Use a model served by OpenAI, Azure OpenAI, an OpenAI-compatible server or Gemini.`,
        });
    }
  },
  responseHandling(_registry, kind, request): ResponseHandling | undefined {
    if (kind === 'openai' || kind === 'azure-openai') return { translateResponse: translateOpenAIEmbeddingsResponse };
    if (kind === 'gemini') return { translateResponse: (response, context) => translateGeminiEmbeddingsResponse(request, response, context) };
    return undefined;
  },
};
