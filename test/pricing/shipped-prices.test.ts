import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { ProviderKind } from '../../src/config/schema.js';
import { DEFAULT_PRICE_TABLE_PATH, loadPriceTable, lookupPrice, type ModelPrice } from '../../src/pricing/price-table.js';

/**
 * The shipped config/prices.yaml against what it claims: that it prices the models
 * config/gateway.yaml serves, and that its numbers are the source's (the LiteLLM-format
 * model_prices.json in the shared data directory, see config/prices.yaml's header).
 */

const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const pricesText = readFileSync(resolve(PACKAGE_ROOT, DEFAULT_PRICE_TABLE_PATH), 'utf8');
const table = loadPriceTable(pricesText, DEFAULT_PRICE_TABLE_PATH);

/** Served by config/gateway.yaml but absent from the September 2025 source; listed in prices.yaml's header. */
const KNOWN_MISSING = ['anthropic/claude-sonnet-4-5', 'anthropic/claude-haiku-4-5'];

const SOURCE_PATH = process.env.PRICE_SOURCE_JSON ?? resolve(PACKAGE_ROOT, '../shared/data/model_prices.json');
const sourceMissing = existsSync(SOURCE_PATH) ? false : `${SOURCE_PATH} is not on this machine (set PRICE_SOURCE_JSON)`;
type SourceEntry = Record<string, unknown>;
const source: Record<string, SourceEntry> = sourceMissing ? {} : (JSON.parse(readFileSync(SOURCE_PATH, 'utf8')) as Record<string, SourceEntry>);

interface Target {
  providerName: string;
  kind: ProviderKind;
  demo: boolean;
  model: string;
}

/** Every (provider, model) config/gateway.yaml can send a request to, fallback levels included. */
function gatewayTargets(): Target[] {
  const configuration = parse(readFileSync(resolve(PACKAGE_ROOT, 'config/gateway.yaml'), 'utf8')) as {
    providers: Record<string, { kind: ProviderKind; demo?: boolean }>;
    models: Record<string, { provider?: string; model?: string; fallback?: Array<{ provider: string; model: string } | { balance: Array<{ provider: string; model: string }> }> }>;
  };
  const targets: Target[] = [];
  const add = (providerName: string, model: string) => {
    const provider = configuration.providers[providerName];
    assert.ok(provider, `config/gateway.yaml names an undeclared provider ${providerName}`);
    targets.push({ providerName, kind: provider.kind, demo: provider.demo === true, model });
  };
  for (const entry of Object.values(configuration.models)) {
    if (entry.provider !== undefined && entry.model !== undefined) add(entry.provider, entry.model);
    for (const level of entry.fallback ?? []) {
      for (const target of 'balance' in level ? level.balance : [level]) add(target.provider, target.model);
    }
  }
  return targets;
}

/** The source entry a table entry was taken from (the key conventions are in config/prices.yaml). */
function sourceKeyFor(kind: ProviderKind, model: string): string | undefined {
  // Gemini's embedding model is only in the source as its Vertex AI entry (see config/prices.yaml).
  if (kind === 'gemini') return source[`gemini/${model}`] === undefined && source[model]?.mode === 'embedding' ? model : `gemini/${model}`;
  if (source[model] !== undefined) return model;
  if (kind === 'anthropic') {
    const dated = Object.keys(source).filter((key) => new RegExp(`^${model.replace(/[.]/g, '\\.')}-\\d{8}$`).test(key));
    if (dated.length === 1) return dated[0];
  }
  return undefined;
}

/** A source entry in the table's shape, by the field mapping in config/prices.yaml's header. */
function expectedPrice(entry: SourceEntry): ModelPrice {
  const price: ModelPrice = { input: entry.input_cost_per_token as number, output: entry.output_cost_per_token as number };
  if (entry.cache_read_input_token_cost !== undefined) price.cached_input = entry.cache_read_input_token_cost as number;
  if (entry.cache_creation_input_token_cost !== undefined) price.cache_write = entry.cache_creation_input_token_cost as number;
  const reasoning = entry.output_cost_per_reasoning_token;
  if (reasoning !== undefined && reasoning !== entry.output_cost_per_token) price.reasoning = reasoning as number;
  if (entry.max_output_tokens !== undefined) price.max_output_tokens = entry.max_output_tokens as number;
  return price;
}

describe('config/prices.yaml covers config/gateway.yaml', () => {
  const targets = gatewayTargets();

  test('every model the gateway serves has a price, or is documented as missing from the source', () => {
    assert.ok(targets.length >= 8);
    const unpriced = targets.filter((target) => lookupPrice(table, target.kind, target.model) === undefined).map((target) => `${target.kind}/${target.model}`);
    assert.deepEqual([...new Set(unpriced)].sort(), [...KNOWN_MISSING].sort());
  });

  test('the missing models are named in the file, with the reason', () => {
    const header = pricesText.slice(0, pricesText.indexOf('\nopenai:'));
    assert.match(header, /Missing from the source/);
    for (const missing of KNOWN_MISSING) assert.ok(header.includes(missing), `${missing} is not documented in ${DEFAULT_PRICE_TABLE_PATH}`);
  });

  test('the demo model costs nothing', () => {
    const demos = targets.filter((target) => target.demo);
    assert.ok(demos.length > 0);
    for (const demo of demos) assert.deepEqual(lookupPrice(table, demo.kind, demo.model), { input: 0, output: 0 });
  });
});

describe('config/prices.yaml', () => {
  test('prices the current major models, and is not a dump of the source', () => {
    const count = Object.values(table).reduce((sum, models) => sum + Object.keys(models).length, 0);
    assert.ok(count >= 20 && count <= 30, `${count} models`);
    for (const [kind, model] of [
      ['openai', 'gpt-4o'], ['openai', 'gpt-4.1-mini'], ['openai', 'gpt-4.1-nano'], ['openai', 'gpt-5'], ['openai', 'gpt-5-nano'],
      ['openai', 'o3'], ['openai', 'o4-mini'], ['anthropic', 'claude-opus-4-1'], ['anthropic', 'claude-3-5-haiku'], ['gemini', 'gemini-2.0-flash'],
    ] as const) {
      assert.ok(table[kind]?.[model], `${kind}/${model}`);
    }
  });

  test('a few prices, written out (they hold even without the source file)', () => {
    // reference/providers.md §7: gpt-4o is 2.5e-6 in, 1e-5 out, 1.25e-6 cache read.
    assert.deepEqual(table.openai?.['gpt-4o'], { input: 2.5e-6, output: 1e-5, cached_input: 1.25e-6, max_output_tokens: 16384 });
    assert.deepEqual(table.anthropic?.['claude-sonnet-4'], { input: 3e-6, output: 1.5e-5, cached_input: 3e-7, cache_write: 3.75e-6, max_output_tokens: 64000 });
    assert.deepEqual(table.gemini?.['gemini-2.5-pro'], { input: 1.25e-6, output: 1e-5, cached_input: 3.125e-7, max_output_tokens: 65535 });
    // reference/providers.md §1: embeddings are billed by prompt tokens alone.
    assert.deepEqual(table.openai?.['text-embedding-3-small'], { input: 2e-8, output: 0 });
    assert.deepEqual(table.gemini?.['gemini-embedding-001'], { input: 1.5e-7, output: 0 });
  });

  test('exact numbers for the gateway\'s models match the source', { skip: sourceMissing }, () => {
    const checks: Array<[ProviderKind, string, string]> = [
      ['openai', 'gpt-4o-mini', 'gpt-4o-mini'],
      ['openai', 'gpt-4.1', 'gpt-4.1'],
      ['openai', 'gpt-5-mini', 'gpt-5-mini'],
      ['anthropic', 'claude-opus-4-1', 'claude-opus-4-1-20250805'],
      ['gemini', 'gemini-2.5-flash', 'gemini/gemini-2.5-flash'],
      ['gemini', 'gemini-2.5-pro', 'gemini/gemini-2.5-pro'],
    ];
    for (const [kind, model, sourceKey] of checks) {
      const entry = source[sourceKey];
      assert.ok(entry, sourceKey);
      const price = table[kind]?.[model];
      assert.ok(price, `${kind}/${model}`);
      assert.equal(price.input, entry.input_cost_per_token, `${model} input`);
      assert.equal(price.output, entry.output_cost_per_token, `${model} output`);
      assert.equal(price.cached_input, entry.cache_read_input_token_cost, `${model} cached_input`);
      assert.equal(price.cache_write, entry.cache_creation_input_token_cost, `${model} cache_write`);
      assert.equal(price.max_output_tokens, entry.max_output_tokens, `${model} max_output_tokens`);
    }
  });

  test('every price is the source\'s, field for field', { skip: sourceMissing }, () => {
    for (const [kind, models] of Object.entries(table) as Array<[ProviderKind, Record<string, ModelPrice>]>) {
      for (const [model, price] of Object.entries(models)) {
        if (model === 'demo-echo') continue;
        const key = sourceKeyFor(kind, model);
        assert.ok(key !== undefined && source[key], `${kind}/${model} is not in the source`);
        assert.ok(['chat', 'embedding'].includes(source[key].mode as string), `${key} is neither a chat nor an embedding model`);
        assert.deepEqual(price, expectedPrice(source[key]), `${kind}/${model} differs from the source's ${key}`);
      }
    }
  });

  test('the models documented as missing really are missing from the source', { skip: sourceMissing }, () => {
    for (const missing of KNOWN_MISSING) {
      const model = missing.slice(missing.indexOf('/') + 1);
      const present = Object.keys(source).filter((key) => key.includes(model));
      assert.deepEqual(present, [], `the source now has ${model}: add it to ${DEFAULT_PRICE_TABLE_PATH}`);
    }
  });
});
