import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Usage } from '../../src/providers/usage.js';
import { computeCost } from '../../src/pricing/compute-cost.js';
import { maxRequestCost } from '../../src/pricing/max-request-cost.js';
import { DEFAULT_PRICE_TABLE_PATH, loadPriceTable, type ModelPrice } from '../../src/pricing/price-table.js';
import { toMicroUsd } from '../../src/pricing/to-micro-usd.js';

const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const table = loadPriceTable(readFileSync(resolve(PACKAGE_ROOT, DEFAULT_PRICE_TABLE_PATH), 'utf8'));

/** mulberry32: a small seeded PRNG, so a failure is reproducible. Returns [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('maxRequestCost', () => {
  test('every prompt token uncached, every output token at the output rate', () => {
    const price: ModelPrice = { input: 2.5e-6, output: 1e-5, cached_input: 1.25e-6 };
    assert.equal(maxRequestCost({ promptTokensUpperBound: 1000, maxOutputTokens: 100 }, price), 1000 * 2.5e-6 + 100 * 1e-5);
  });

  test('a cache write dearer than input is the prompt rate (Anthropic: 1.25x)', () => {
    const price: ModelPrice = { input: 3e-6, output: 1.5e-5, cached_input: 3e-7, cache_write: 3.75e-6 };
    assert.equal(maxRequestCost({ promptTokensUpperBound: 1000, maxOutputTokens: 0 }, price), 1000 * 3.75e-6);
  });

  test('reasoning dearer than output is the output rate', () => {
    const price: ModelPrice = { input: 1.5e-7, output: 6e-7, reasoning: 3.5e-6 };
    assert.equal(maxRequestCost({ promptTokensUpperBound: 0, maxOutputTokens: 1000 }, price), 1000 * 3.5e-6);
  });

  test('negative or non-finite bounds count as zero', () => {
    const price: ModelPrice = { input: 1e-6, output: 1e-6 };
    assert.equal(maxRequestCost({ promptTokensUpperBound: -5, maxOutputTokens: Number.NaN }, price), 0);
    assert.equal(maxRequestCost({ promptTokensUpperBound: Number.POSITIVE_INFINITY, maxOutputTokens: 10 }, price), 10 * 1e-6);
  });

  test('is at least computeCost for any usage within the bounds', () => {
    const random = seededRandom(0x5eed);
    const integer = (max: number) => Math.floor(random() * (max + 1));
    const prices: Array<[string, ModelPrice]> = [
      ...Object.entries(table).flatMap(([kind, models]) => Object.entries(models).map(([model, price]) => [`${kind}/${model}`, price] as [string, ModelPrice])),
      ['reasoning dearer than output', { input: 1.5e-7, output: 6e-7, reasoning: 3.5e-6 }],
      ['reasoning cheaper than output', { input: 1e-6, output: 4e-6, reasoning: 1e-6 }],
      ['cache read dearer than input', { input: 1e-6, output: 1e-6, cached_input: 2e-6, cache_write: 5e-7 }],
      ['no optional prices', { input: 1e-6, output: 2e-6 }],
    ];
    let checked = 0;
    for (const [name, price] of prices) {
      for (let round = 0; round < 400; round += 1) {
        const promptTokensUpperBound = integer(round % 4 === 0 ? 2_000_000 : 50_000);
        const maxOutputTokens = integer(price.max_output_tokens ?? 100_000);
        const promptTokens = round % 10 === 0 ? promptTokensUpperBound : integer(promptTokensUpperBound);
        const completionTokens = round % 10 === 0 ? maxOutputTokens : integer(maxOutputTokens);
        // Round 10k+1: everything a cache write; +2: everything cached; +3: everything reasoning.
        const cacheWriteTokens = round % 10 === 1 ? promptTokens : integer(promptTokens);
        const cachedTokens = round % 10 === 2 ? promptTokens - cacheWriteTokens : integer(promptTokens - cacheWriteTokens);
        const reasoningTokens = round % 10 === 3 ? completionTokens : integer(completionTokens);
        const usage: Usage = { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, cachedTokens, cacheWriteTokens, reasoningTokens };
        const bound = maxRequestCost({ promptTokensUpperBound, maxOutputTokens }, price);
        const cost = computeCost(usage, price).totalUsd;
        const context = `${name}: ${JSON.stringify({ promptTokensUpperBound, maxOutputTokens, usage })} cost ${cost} > bound ${bound}`;
        assert.ok(bound >= cost * (1 - 1e-12), context);
        assert.ok(toMicroUsd(bound) >= toMicroUsd(cost), context);
        checked += 1;
      }
    }
    assert.ok(checked >= 10_000, `${checked} cases`);
  });
});
