import type { ModelPrice } from './price-table.js';

export interface RequestBounds {
  /** The most prompt tokens the request can be billed for. */
  promptTokensUpperBound: number;
  /** The most completion tokens it can produce (reasoning included). */
  maxOutputTokens: number;
}

/**
 * The most a request within these bounds can cost, in USD: what is reserved from a budget
 * before the request is sent, and settled against computeCost afterwards.
 *
 * Every prompt token is billed at the dearest prompt rate. That is usually `input` (every
 * token uncached), but an Anthropic cache write costs more than uncached input (1.25x), so
 * the maximum of input, cached_input and cache_write is taken. Every output token is billed
 * at the dearer of output and reasoning. Hence maxRequestCost(bounds) >= computeCost(usage)
 * for any usage with promptTokens <= promptTokensUpperBound and completionTokens <=
 * maxOutputTokens (up to floating-point rounding in the last place). Negative or non-finite
 * bounds count as 0. maxOutputTokens is not capped at the price's max_output_tokens: the
 * caller chooses the bound (the request's max_tokens, else the model's maximum).
 */
export function maxRequestCost(bounds: RequestBounds, price: ModelPrice): number {
  const promptRate = Math.max(price.input, price.cached_input ?? price.input, price.cache_write ?? price.input);
  const outputRate = Math.max(price.output, price.reasoning ?? price.output);
  return tokens(bounds.promptTokensUpperBound) * promptRate + tokens(bounds.maxOutputTokens) * outputRate;
}

function tokens(count: number): number {
  return Number.isFinite(count) && count > 0 ? count : 0;
}
