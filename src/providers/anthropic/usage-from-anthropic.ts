import type { Usage } from '../usage.js';
import type { AnthropicUsage } from './anthropic-api.js';

/**
 * Anthropic usage in OpenAI's terms (https://docs.claude.com/en/docs/build-with-claude/prompt-caching#tracking-cache-performance):
 * - prompt: input_tokens + cache_creation_input_tokens + cache_read_input_tokens, because
 *   Anthropic's input_tokens counts only the tokens after the last cache breakpoint while
 *   OpenAI's prompt_tokens is the whole prompt.
 * - cached: cache_read_input_tokens; cache writes: cache_creation_input_tokens (both part of
 *   the prompt, as OpenAI counts cached_tokens inside prompt_tokens).
 * - completion: output_tokens, which already includes any thinking; reasoning is
 *   output_tokens_details.thinking_tokens when Anthropic reports it, else 0.
 * - total: prompt + completion (Anthropic sends no total).
 */
export function usageFromAnthropic(usage: AnthropicUsage): Usage {
  const cachedTokens = count(usage.cache_read_input_tokens);
  const cacheWriteTokens = count(usage.cache_creation_input_tokens);
  const promptTokens = count(usage.input_tokens) + cacheWriteTokens + cachedTokens;
  const completionTokens = count(usage.output_tokens);
  return {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    cachedTokens,
    cacheWriteTokens,
    reasoningTokens: count(usage.output_tokens_details?.thinking_tokens),
  };
}

function count(value: number | null | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
