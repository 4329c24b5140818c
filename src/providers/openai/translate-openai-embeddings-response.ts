import type { TranslatedResponse, TranslationContext, UpstreamResponse } from '../provider-adapter.js';
import { openAIAdapter } from './openai-adapter.js';

/**
 * An OpenAI-shaped embeddings answer (OpenAI, Azure, Ollama, vLLM, TEI): passed through
 * untouched, read for `usage.prompt_tokens` and `model`. A server that reports no usage
 * has its prompt counted by the gateway (`completeUsage`), metered as an estimate.
 */
export function translateOpenAIEmbeddingsResponse(response: UpstreamResponse, context: TranslationContext): TranslatedResponse {
  const translated = openAIAdapter.translateResponse(response, context);
  if (response.status >= 400 || translated.usage !== undefined) return translated;
  return {
    ...translated,
    completeUsage: (promptTokens) => ({ ...translated, usage: { promptTokens, completionTokens: 0, totalTokens: promptTokens, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 } }),
  };
}
