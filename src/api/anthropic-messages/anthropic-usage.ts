import type { Usage } from '../../model/usage.js';

/**
 * Usage in Anthropic's terms, as a Message's `usage` (SDK `Usage`) and a message_delta's
 * (SDK `MessageDeltaUsage`) carry it. Fields the gateway cannot know are null, as Anthropic
 * sends them when they do not apply.
 */
export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: null;
  server_tool_use: null;
  service_tier: null;
  inference_geo: null;
  speed: null;
  output_tokens_details: { thinking_tokens: number } | null;
}

/**
 * The neutral usage (OpenAI's terms: cached tokens and cache writes are part of the prompt)
 * in Anthropic's, where the three input counts are disjoint and add up to the prompt
 * (https://docs.claude.com/en/docs/build-with-claude/prompt-caching#tracking-cache-performance):
 * - input_tokens: prompt − cache reads − cache writes (never below 0);
 * - cache_read_input_tokens: cached tokens; cache_creation_input_tokens: cache writes;
 * - output_tokens: completion tokens, reasoning included, as Anthropic counts thinking;
 * - output_tokens_details.thinking_tokens: reasoning tokens, when there were any.
 */
export function anthropicUsage(usage: Usage): AnthropicUsage {
  return {
    input_tokens: Math.max(0, usage.promptTokens - usage.cachedTokens - usage.cacheWriteTokens),
    output_tokens: usage.completionTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens,
    cache_read_input_tokens: usage.cachedTokens,
    cache_creation: null,
    server_tool_use: null,
    service_tier: null,
    inference_geo: null,
    speed: null,
    output_tokens_details: usage.reasoningTokens > 0 ? { thinking_tokens: usage.reasoningTokens } : null,
  };
}
