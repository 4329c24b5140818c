import type { ChatCompletionRequest } from '../openai/openai-api.js';
import { openAIAdapter } from '../openai/openai-adapter.js';
import type { AttemptTarget, ProviderAdapter, UpstreamRequest } from '../provider-adapter.js';

/**
 * Azure OpenAI speaks OpenAI's Chat Completions API; only the URL and the key header
 * differ, so responses and streams go through the OpenAI adapter unchanged.
 * - With `api_version` configured: the deployment path,
 *   `{base}/deployments/{deployment}/chat/completions?api-version=...` (base_url ends in /openai).
 * - Without: Azure's v1 API (GA since August 2025), `{base}/chat/completions` with the
 *   deployment as `model` (base_url ends in /openai/v1).
 * The key goes in `api-key` (learn.microsoft.com/azure/ai-foundry/openai/reference).
 */
export const azureOpenAIAdapter: ProviderAdapter = {
  buildRequest(request: ChatCompletionRequest, target: AttemptTarget): UpstreamRequest {
    const openAIRequest = openAIAdapter.buildRequest(request, { ...target, credential: undefined });
    const headers: Record<string, string> = { ...openAIRequest.headers };
    if (target.credential !== undefined) headers['api-key'] = target.credential;
    const path =
      target.apiVersion === undefined
        ? openAIRequest.path
        : `${target.pathPrefix}/deployments/${encodeURIComponent(target.model)}/chat/completions?api-version=${encodeURIComponent(target.apiVersion)}`;
    return { ...openAIRequest, path, headers };
  },
  checkRequest: openAIAdapter.checkRequest,
  translateResponse: openAIAdapter.translateResponse,
  createStreamTranslator: openAIAdapter.createStreamTranslator,
};
