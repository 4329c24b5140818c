import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { AnthropicUsage } from '../../src/providers/anthropic/anthropic-api.js';
import { usageFromAnthropic } from '../../src/providers/anthropic/usage-from-anthropic.js';
import type { GeminiUsageMetadata } from '../../src/providers/gemini/gemini-api.js';
import { usageFromGemini } from '../../src/providers/gemini/usage-from-gemini.js';
import { usageFromOpenAI, ZERO_USAGE, type Usage } from '../../src/providers/usage.js';
import { computeCost, type CostBreakdown } from '../../src/pricing/compute-cost.js';
import { DEFAULT_PRICE_TABLE_PATH, loadPriceTable, lookupPrice, type ModelPrice } from '../../src/pricing/price-table.js';
import { toMicroUsd } from '../../src/pricing/to-micro-usd.js';

const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const table = loadPriceTable(readFileSync(resolve(PACKAGE_ROOT, DEFAULT_PRICE_TABLE_PATH), 'utf8'));
const fixture = (path: string) => JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'test/fixtures', path), 'utf8')) as Record<string, unknown>;

function priceOf(kind: 'openai' | 'anthropic' | 'gemini', model: string): ModelPrice {
  const price = lookupPrice(table, kind, model);
  assert.ok(price, `${kind}/${model} has no price`);
  return price;
}

/** Equal to within floating-point rounding; the micro-dollar totals must match exactly. */
function assertCost(actual: CostBreakdown, expected: Omit<CostBreakdown, 'totalUsd'> & { totalMicroUsd: number }) {
  for (const field of ['inputUsd', 'cachedInputUsd', 'cacheWriteUsd', 'outputUsd', 'reasoningUsd'] as const) {
    assert.ok(Math.abs(actual[field] - expected[field]) <= 1e-15, `${field}: ${actual[field]} !== ${expected[field]}`);
  }
  const sum = actual.inputUsd + actual.cachedInputUsd + actual.cacheWriteUsd + actual.outputUsd + actual.reasoningUsd;
  assert.equal(actual.totalUsd, sum);
  assert.equal(toMicroUsd(actual.totalUsd), expected.totalMicroUsd);
}

const usage = (fields: Partial<Usage>): Usage => ({ ...ZERO_USAGE, ...fields });

describe('computeCost', () => {
  test('OpenAI: cached prompt tokens at the cache-read rate, reasoning at the output rate', () => {
    const openAIUsage = usageFromOpenAI({
      prompt_tokens: 1000,
      completion_tokens: 500,
      total_tokens: 1500,
      prompt_tokens_details: { cached_tokens: 400, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 300, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    });
    assert.ok(openAIUsage);
    // gpt-5-mini: 2.5e-7 in, 2.5e-8 cached, 2e-6 out.
    assertCost(computeCost(openAIUsage, priceOf('openai', 'gpt-5-mini-2025-08-07')), {
      inputUsd: 600 * 2.5e-7,
      cachedInputUsd: 400 * 2.5e-8,
      cacheWriteUsd: 0,
      outputUsd: 200 * 2e-6,
      reasoningUsd: 300 * 2e-6,
      totalMicroUsd: 1160, // OpenAI's rule: (1000 − 400)·0.25 + 400·0.025 + 500·2 per million
    });
  });

  test('Anthropic: cache writes and reads priced apart from input (recorded response)', () => {
    const response = fixture('anthropic/cache-and-thinking.json');
    const anthropicUsage = usageFromAnthropic(response.usage as AnthropicUsage);
    assert.equal(anthropicUsage.promptTokens, 12 + 1500 + 3200);
    // claude-opus-4-1-20250805: 1.5e-5 in, 1.875e-5 cache write, 1.5e-6 cache read, 7.5e-5 out.
    assertCost(computeCost(anthropicUsage, priceOf('anthropic', response.model as string)), {
      inputUsd: 12 * 1.5e-5,
      cachedInputUsd: 3200 * 1.5e-6,
      cacheWriteUsd: 1500 * 1.875e-5,
      outputUsd: 22 * 7.5e-5,
      reasoningUsd: 118 * 7.5e-5,
      // Anthropic's own rule on its own counts: input_tokens·15 + cache_creation·18.75 +
      // cache_read·1.5 + output_tokens·75 per million = 180 + 28125 + 4800 + 10500.
      totalMicroUsd: 43605,
    });
  });

  test('Gemini: thoughts billed at the output rate, cached content at the cache rate (recorded response)', () => {
    const response = fixture('gemini/thinking.json');
    const geminiUsage = usageFromGemini(response.usageMetadata as GeminiUsageMetadata);
    assert.equal(geminiUsage.reasoningTokens, 120);
    // gemini-2.5-pro: 1.25e-6 in, 3.125e-7 cached, 1e-5 out (thoughts included).
    assertCost(computeCost(geminiUsage, priceOf('gemini', response.modelVersion as string)), {
      inputUsd: (4120 + 20 - 4096) * 1.25e-6,
      cachedInputUsd: 4096 * 3.125e-7,
      cacheWriteUsd: 0,
      outputUsd: 12 * 1e-5,
      reasoningUsd: 120 * 1e-5,
      totalMicroUsd: 2655,
    });
  });

  test('absent cache and reasoning prices fall back to input and output', () => {
    const price: ModelPrice = { input: 2e-6, output: 8e-6 };
    assertCost(computeCost(usage({ promptTokens: 100, cachedTokens: 30, cacheWriteTokens: 20, completionTokens: 50, reasoningTokens: 10 }), price), {
      inputUsd: 50 * 2e-6,
      cachedInputUsd: 30 * 2e-6,
      cacheWriteUsd: 20 * 2e-6,
      outputUsd: 40 * 8e-6,
      reasoningUsd: 10 * 8e-6,
      totalMicroUsd: 600,
    });
  });

  test('a reasoning price, where set, applies to reasoning tokens only', () => {
    const price: ModelPrice = { input: 1.5e-7, output: 6e-7, reasoning: 3.5e-6 };
    const cost = computeCost(usage({ promptTokens: 1000, completionTokens: 1000, reasoningTokens: 800 }), price);
    assert.equal(cost.outputUsd, 200 * 6e-7);
    assert.equal(cost.reasoningUsd, 800 * 3.5e-6);
    assert.equal(toMicroUsd(cost.totalUsd), 150 + 120 + 2800);
  });

  test('no usage, no cost; a free model costs nothing', () => {
    assert.deepEqual(computeCost(ZERO_USAGE, priceOf('openai', 'gpt-4o')), { inputUsd: 0, cachedInputUsd: 0, cacheWriteUsd: 0, outputUsd: 0, reasoningUsd: 0, totalUsd: 0 });
    assert.equal(computeCost(usage({ promptTokens: 1e6, completionTokens: 1e6 }), priceOf('openai', 'demo-echo')).totalUsd, 0);
  });

  test('full precision: no rounding before the caller converts', () => {
    const cost = computeCost(usage({ promptTokens: 1, completionTokens: 1 }), priceOf('openai', 'gpt-5-nano'));
    assert.equal(cost.inputUsd, 5e-8);
    assert.equal(cost.outputUsd, 4e-7);
    assert.equal(toMicroUsd(cost.totalUsd), 0);
  });
});

describe('computeCost never goes negative', () => {
  const price: ModelPrice = { input: 3e-6, output: 1.5e-5, cached_input: 3e-7, cache_write: 3.75e-6 };
  const assertNonNegative = (cost: CostBreakdown) => {
    for (const [field, value] of Object.entries(cost)) assert.ok(Number.isFinite(value) && value >= 0, `${field} = ${value}`);
  };

  test('more cached and written tokens than prompt tokens: no uncached input, the cache buckets billed as reported', () => {
    const cost = computeCost(usage({ promptTokens: 100, cachedTokens: 80, cacheWriteTokens: 50, completionTokens: 10 }), price);
    assertNonNegative(cost);
    assert.equal(cost.inputUsd, 0);
    assert.equal(cost.cachedInputUsd, 80 * 3e-7);
    assert.equal(cost.cacheWriteUsd, 50 * 3.75e-6);
  });

  test('more reasoning tokens than completion tokens: no visible output, reasoning billed as reported', () => {
    const cost = computeCost(usage({ completionTokens: 10, reasoningTokens: 25 }), price);
    assertNonNegative(cost);
    assert.equal(cost.outputUsd, 0);
    assert.equal(cost.reasoningUsd, 25 * 1.5e-5);
  });

  test('negative and non-finite counts count as zero', () => {
    const cost = computeCost(
      { promptTokens: -100, completionTokens: Number.NaN, totalTokens: 0, cachedTokens: -5, cacheWriteTokens: Number.POSITIVE_INFINITY, reasoningTokens: -1 },
      price,
    );
    assert.deepEqual(cost, { inputUsd: 0, cachedInputUsd: 0, cacheWriteUsd: 0, outputUsd: 0, reasoningUsd: 0, totalUsd: 0 });
  });
});

describe('toMicroUsd', () => {
  test('rounds to whole micro-dollars', () => {
    assert.equal(toMicroUsd(0), 0);
    assert.equal(toMicroUsd(0.1 + 0.2), 300_000);
    assert.equal(toMicroUsd(1.25), 1_250_000);
    assert.equal(toMicroUsd(4e-7), 0);
    assert.equal(toMicroUsd(6e-7), 1);
    assert.equal(toMicroUsd(0.043605), 43_605);
  });
});
