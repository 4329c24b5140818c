/**
 * Token usage in OpenAI's terms, which is what the gateway meters and reports whatever the
 * provider or the client format: cachedTokens and cacheWriteTokens are part of
 * promptTokens, reasoningTokens part of completionTokens (openai-openapi `CompletionUsage`).
 * Provider readers map each provider onto it; client writers map it back out.
 */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

export const ZERO_USAGE: Usage = Object.freeze({
  promptTokens: 0,
  completionTokens: 0,
  totalTokens: 0,
  cachedTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
});
