import type { Usage } from '../providers/usage.js';
import type { ModelPrice } from './price-table.js';

/** What one request cost, by billing bucket, in USD at full floating-point precision. */
export interface CostBreakdown {
  /** Uncached prompt tokens at `input`. */
  inputUsd: number;
  /** Prompt tokens read from the cache at `cached_input`. */
  cachedInputUsd: number;
  /** Prompt tokens written to the cache at `cache_write`. */
  cacheWriteUsd: number;
  /** Visible completion tokens at `output`. */
  outputUsd: number;
  /** Reasoning tokens at `reasoning`. */
  reasoningUsd: number;
  totalUsd: number;
}

/**
 * The cost of a usage at a model's prices. Usage is in OpenAI's terms, whatever the
 * provider (src/providers/usage.ts): promptTokens includes cachedTokens and cacheWriteTokens,
 * completionTokens includes reasoningTokens. Each provider's billing rule, restated in those
 * terms (reference/providers.md §7):
 *  - OpenAI bills prompt − cached at the input rate, cached at the cache-read rate, and every
 *    completion token, reasoning included, at the output rate
 *    (https://platform.openai.com/docs/guides/prompt-caching).
 *  - Anthropic bills input_tokens, cache_creation_input_tokens and cache_read_input_tokens
 *    each at its own rate; its adapter adds the two cache counts into promptTokens, so they
 *    are taken out again here (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching).
 *  - Gemini bills thoughtsTokenCount at the output rate; its adapter counts thoughts as
 *    reasoningTokens inside completionTokens (https://ai.google.dev/gemini-api/docs/pricing).
 * So: uncached input = promptTokens − cachedTokens − cacheWriteTokens at `input`; cachedTokens
 * at `cached_input` (else `input`); cacheWriteTokens at `cache_write` (else `input`); visible
 * output = completionTokens − reasoningTokens at `output`; reasoningTokens at `reasoning`
 * (else `output`).
 *
 * Never negative. A count that is negative or not finite counts as 0. When a usage
 * contradicts itself (more cached tokens than prompt tokens, more reasoning tokens than
 * completion tokens), the remainder is clamped at 0 and the detailed buckets are billed as
 * reported: a provider that itemised tokens billed them, so the total is the likelier error,
 * and erring this way never under-bills.
 *
 * No rounding: totals for spend are converted once, with toMicroUsd.
 */
export function computeCost(usage: Usage, price: ModelPrice): CostBreakdown {
  const promptTokens = tokens(usage.promptTokens);
  const cachedTokens = tokens(usage.cachedTokens);
  const cacheWriteTokens = tokens(usage.cacheWriteTokens);
  const completionTokens = tokens(usage.completionTokens);
  const reasoningTokens = tokens(usage.reasoningTokens);

  const inputUsd = Math.max(0, promptTokens - cachedTokens - cacheWriteTokens) * price.input;
  const cachedInputUsd = cachedTokens * (price.cached_input ?? price.input);
  const cacheWriteUsd = cacheWriteTokens * (price.cache_write ?? price.input);
  const outputUsd = Math.max(0, completionTokens - reasoningTokens) * price.output;
  const reasoningUsd = reasoningTokens * (price.reasoning ?? price.output);
  return {
    inputUsd,
    cachedInputUsd,
    cacheWriteUsd,
    outputUsd,
    reasoningUsd,
    totalUsd: inputUsd + cachedInputUsd + cacheWriteUsd + outputUsd + reasoningUsd,
  };
}

function tokens(count: number): number {
  return Number.isFinite(count) && count > 0 ? count : 0;
}
