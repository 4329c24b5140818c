import type { Usage } from '../usage.js';
import type { GeminiUsageMetadata } from './gemini-api.js';

/**
 * Gemini usageMetadata in OpenAI's terms (https://ai.google.dev/api/generate-content#UsageMetadata):
 * - prompt: promptTokenCount, which already includes cachedContentTokenCount, plus
 *   toolUsePromptTokenCount (tool-use prompts Gemini bills as input but counts apart).
 * - completion: candidatesTokenCount plus thoughtsTokenCount, since OpenAI counts
 *   reasoning inside completion_tokens and Gemini bills thoughts as output.
 * - total: recomputed as prompt + completion, which equals Gemini's totalTokenCount.
 */
export function usageFromGemini(metadata: GeminiUsageMetadata): Usage {
  const promptTokens = count(metadata.promptTokenCount) + count(metadata.toolUsePromptTokenCount);
  const reasoningTokens = count(metadata.thoughtsTokenCount);
  const completionTokens = count(metadata.candidatesTokenCount) + reasoningTokens;
  return {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    cachedTokens: count(metadata.cachedContentTokenCount),
    cacheWriteTokens: 0,
    reasoningTokens,
  };
}

function count(value: number | null | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
