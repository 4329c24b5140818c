/**
 * Token usage in OpenAI's terms, which is what the gateway meters and reports:
 * cachedTokens and cacheWriteTokens are part of promptTokens, reasoningTokens part of
 * completionTokens (openai-openapi `CompletionUsage`). Adapters map each provider onto it.
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

/** Reads an OpenAI `usage` object leniently: missing or null counts are zero. */
export function usageFromOpenAI(usage: unknown): Usage | undefined {
  if (usage === null || typeof usage !== 'object') return undefined;
  const record = usage as Record<string, unknown>;
  const promptTokens = count(record.prompt_tokens);
  const completionTokens = count(record.completion_tokens);
  const promptDetails = (record.prompt_tokens_details ?? {}) as Record<string, unknown>;
  const completionDetails = (record.completion_tokens_details ?? {}) as Record<string, unknown>;
  return {
    promptTokens,
    completionTokens,
    totalTokens: record.total_tokens === undefined || record.total_tokens === null ? promptTokens + completionTokens : count(record.total_tokens),
    cachedTokens: count(promptDetails?.cached_tokens),
    cacheWriteTokens: count(promptDetails?.cache_write_tokens),
    reasoningTokens: count(completionDetails?.reasoning_tokens),
  };
}

/** The OpenAI wire form of a Usage, as translators write it into responses and chunks. */
export function usageToOpenAI(usage: Usage): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens, ...(usage.cacheWriteTokens ? { cache_write_tokens: usage.cacheWriteTokens } : {}) },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens },
  };
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
