import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CAPABILITY_TABLE_PATH, loadCapabilityTable } from '../../src/capabilities/capability-table.js';
import type { ProviderKind } from '../../src/config/schema.js';
import { DEFAULT_PRICE_TABLE_PATH, loadPriceTable } from '../../src/pricing/price-table.js';

/**
 * The shipped config/capabilities.yaml against what its header claims: the models of the
 * price table, with the source's numbers and flags unchanged (absent flags written false).
 */
const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const table = loadCapabilityTable(readFileSync(resolve(PACKAGE_ROOT, DEFAULT_CAPABILITY_TABLE_PATH), 'utf8'), DEFAULT_CAPABILITY_TABLE_PATH);
const prices = loadPriceTable(readFileSync(resolve(PACKAGE_ROOT, DEFAULT_PRICE_TABLE_PATH), 'utf8'), DEFAULT_PRICE_TABLE_PATH);
const SOURCE_PATH = process.env.PRICE_SOURCE_JSON ?? resolve(PACKAGE_ROOT, '../shared/data/model_prices.json');
const sourceMissing = existsSync(SOURCE_PATH) ? false : `${SOURCE_PATH} is not on this machine (set PRICE_SOURCE_JSON)`;
const source: Record<string, Record<string, unknown>> = sourceMissing ? {} : JSON.parse(readFileSync(SOURCE_PATH, 'utf8'));

/** The source key of a table entry: Gemini's are prefixed, Anthropic's dated (named in the line's comment in the file). */
const ANTHROPIC_SOURCE: Record<string, string> = {
  'claude-opus-4-1': 'claude-opus-4-1',
  'claude-opus-4': 'claude-opus-4-20250514',
  'claude-sonnet-4': 'claude-sonnet-4-20250514',
  'claude-3-7-sonnet': 'claude-3-7-sonnet-20250219',
  'claude-3-5-haiku': 'claude-3-5-haiku-20241022',
};

function sourceKey(kind: ProviderKind, model: string): string {
  if (kind === 'gemini') return `gemini/${model}`;
  if (kind === 'anthropic') return ANTHROPIC_SOURCE[model] ?? model;
  return model;
}

describe('config/capabilities.yaml', () => {
  test('describes every model the price table prices, the demo stand-in and embedding models aside', () => {
    const names = (kinds: Record<string, Record<string, unknown> | undefined>) =>
      Object.entries(kinds).flatMap(([kind, models]) => Object.keys(models ?? {}).map((model) => `${kind}/${model}`)).sort();
    // An embedding model's window holds each input on its own, not the request: nothing to check per request.
    assert.deepEqual(names(table), names(prices).filter((name) => name !== 'openai/demo-echo' && !name.includes('embedding')));
  });

  test('a few entries, written out (they hold even without the source file)', () => {
    assert.deepEqual(table.openai?.['gpt-4o-mini'], { context_window: 128000, max_output_tokens: 16384, tools: true, vision: true, json_schema: true, reasoning: false });
    assert.deepEqual(table.anthropic?.['claude-sonnet-4'], { context_window: 200000, max_output_tokens: 64000, tools: true, vision: true, json_schema: true, reasoning: true });
    assert.equal(table.openai?.['gpt-5-chat-latest']?.tools, false);
  });

  test("every value is the source's", { skip: sourceMissing }, () => {
    for (const [kind, models] of Object.entries(table) as Array<[ProviderKind, NonNullable<(typeof table)[ProviderKind]>]>) {
      for (const [model, entry] of Object.entries(models)) {
        const key = sourceKey(kind, model);
        const from = source[key];
        assert.ok(from, `${kind}/${model}: no source entry ${key}`);
        assert.deepEqual(
          entry,
          {
            context_window: from.max_input_tokens,
            max_output_tokens: from.max_output_tokens,
            tools: from.supports_function_calling === true,
            vision: from.supports_vision === true,
            json_schema: from.supports_response_schema === true,
            reasoning: from.supports_reasoning === true,
          },
          `${kind}/${model} (source ${key})`,
        );
      }
    }
  });
});
