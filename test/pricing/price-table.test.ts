import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PRICE_TABLE_PATH, loadPriceTable, lookupPrice, PriceTableError } from '../../src/pricing/price-table.js';

const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const shipped = loadPriceTable(readFileSync(resolve(PACKAGE_ROOT, DEFAULT_PRICE_TABLE_PATH), 'utf8'), DEFAULT_PRICE_TABLE_PATH);

function problemsOf(text: string): string[] {
  try {
    loadPriceTable(text, 'test.yaml');
  } catch (error) {
    assert.ok(error instanceof PriceTableError);
    assert.equal(error.source, 'test.yaml');
    return error.problems;
  }
  assert.fail('expected the price table to be refused');
}

describe('loadPriceTable', () => {
  test('loads the shipped config/prices.yaml', () => {
    assert.deepEqual(Object.keys(shipped).sort(), ['anthropic', 'gemini', 'openai']);
    assert.deepEqual(shipped.openai?.['gpt-4o-mini'], { input: 1.5e-7, output: 6e-7, cached_input: 7.5e-8, max_output_tokens: 16384 });
  });

  test('reads a minimal table', () => {
    const table = loadPriceTable('gemini:\n  m: { input: 1e-6, output: 2e-6 }\n');
    assert.deepEqual(table, { gemini: { m: { input: 1e-6, output: 2e-6 } } });
  });

  test('every problem names its path', () => {
    const problems = problemsOf(`
openia:
  gpt-4o: { input: 1e-6, output: 1e-6 }
openai:
  gpt-4o: { input: 2.5, output: 1e-5, colour: blue }
  gpt-4.1: { input: -1e-6, output: 8e-6, max_output_tokens: 1.5 }
  o3: { output: 8e-6 }
  "o3 mini": { input: 1e-6, output: 1e-6 }
anthropic:
  claude-opus-4: { input: "15/1M", output: 7.5e-5 }
`);
    const expected = [
      /^\(top level\): Unrecognized key: "openia" \(provider kinds are openai, azure-openai, anthropic, gemini\)$/,
      /^openai\.gpt-4o\.input: expected USD per token .*per million tokens\?$/,
      /^openai\.gpt-4o: Unrecognized key: "colour"$/,
      /^openai\.gpt-4\.1\.input: expected a price of 0 or more$/,
      /^openai\.gpt-4\.1\.max_output_tokens: /,
      /^openai\.o3\.input: /,
      /^openai\.o3 mini: /,
      /^anthropic\.claude-opus-4\.input: /,
    ];
    for (const pattern of expected) {
      assert.ok(problems.some((problem) => pattern.test(problem)), `no problem matches ${pattern}:\n${problems.join('\n')}`);
    }
    assert.equal(problems.length, expected.length, problems.join('\n'));
  });

  test('a model listed twice is a YAML error, not a silent overwrite', () => {
    const problems = problemsOf('openai:\n  gpt-4o: { input: 1e-6, output: 1e-6 }\n  gpt-4o: { input: 2e-6, output: 2e-6 }\n');
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^YAML: .*unique/i);
  });

  test('an empty or non-mapping document is refused', () => {
    assert.match(problemsOf('').join('\n'), /^\(top level\): /);
    assert.match(problemsOf('- openai\n').join('\n'), /^\(top level\): /);
    assert.match(problemsOf('openai: null\n').join('\n'), /^openai: /);
  });

  test('rejects non-finite prices', () => {
    assert.match(problemsOf('openai:\n  m: { input: .inf, output: 1e-6 }\n').join('\n'), /^openai\.m\.input: /);
    assert.match(problemsOf('openai:\n  m: { input: .nan, output: 1e-6 }\n').join('\n'), /^openai\.m\.input: /);
  });
});

describe('lookupPrice', () => {
  const table = loadPriceTable(`
openai:
  gpt-4o: { input: 2.5e-6, output: 1e-5 }
  gpt-4o-2024-05-13: { input: 5e-6, output: 1.5e-5 }
  gpt-5-chat-latest: { input: 1.25e-6, output: 1e-5 }
anthropic:
  claude-haiku-4-5: { input: 1e-6, output: 5e-6 }
  claude-sonnet-4: { input: 3e-6, output: 1.5e-5 }
  claude-3-7-sonnet: { input: 3e-6, output: 1.5e-5 }
gemini:
  gemini-2.5-flash: { input: 3e-7, output: 2.5e-6 }
`);
  const price = (kind: 'openai' | 'azure-openai' | 'anthropic' | 'gemini', model: string) => lookupPrice(table, kind, model);

  test('the exact name', () => {
    assert.equal(price('openai', 'gpt-4o')?.input, 2.5e-6);
    assert.equal(price('gemini', 'gemini-2.5-flash')?.input, 3e-7);
  });

  test('an exact snapshot wins over its alias', () => {
    assert.equal(price('openai', 'gpt-4o-2024-05-13')?.input, 5e-6);
    assert.equal(price('openai', 'gpt-4o-2024-08-06')?.input, 2.5e-6);
    assert.equal(price('openai', 'gpt-5-chat-latest')?.input, 1.25e-6);
  });

  test('dated and versioned snapshots find their model', () => {
    const cases: Array<[Parameters<typeof price>[0], string, string]> = [
      ['openai', 'gpt-4o-2024-11-20', 'gpt-4o'],
      ['anthropic', 'claude-haiku-4-5-20251001', 'claude-haiku-4-5'],
      ['anthropic', 'claude-sonnet-4-20250514', 'claude-sonnet-4'],
      ['anthropic', 'claude-sonnet-4-0', 'claude-sonnet-4'],
      ['anthropic', 'claude-3-7-sonnet-latest', 'claude-3-7-sonnet'],
      ['gemini', 'models/gemini-2.5-flash', 'gemini-2.5-flash'],
      ['gemini', 'gemini-2.5-flash-001', 'gemini-2.5-flash'],
      ['gemini', 'models/gemini-2.5-flash-001', 'gemini-2.5-flash'],
      ['gemini', 'gemini-2.5-flash-latest', 'gemini-2.5-flash'],
    ];
    for (const [kind, model, listed] of cases) {
      assert.equal(price(kind, model), table[kind]?.[listed], `${kind}/${model} should be priced as ${listed}`);
      assert.notEqual(price(kind, model), undefined);
    }
  });

  test('nothing else is guessed', () => {
    for (const [kind, model] of [
      ['gemini', 'gemini-2.5-flash-preview-05-20'],
      ['gemini', 'gemini-2.5-flash-lite'],
      ['openai', 'gpt-4o-mini'],
      ['openai', 'gpt-4o-mini-2024-07-18'],
      ['openai', 'gpt-4o-2024-08-06-2024-08-06'],
      ['openai', 'models/gpt-4o-latest-001'],
      ['anthropic', 'claude-sonnet-4-5'],
      ['openai', 'GPT-4O'],
      ['openai', ''],
    ] as const) {
      assert.equal(price(kind, model), undefined, `${kind}/${model} should be unpriced`);
    }
  });

  test('prices are per provider kind', () => {
    assert.equal(price('anthropic', 'gpt-4o'), undefined);
    assert.equal(price('openai', 'claude-sonnet-4'), undefined);
    assert.equal(price('azure-openai', 'gpt-4o'), undefined);
  });

  test('names of Object.prototype members are not models', () => {
    for (const model of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'models/constructor']) {
      assert.equal(price('openai', model), undefined, model);
    }
  });

  test('the shipped table prices the snapshots providers report', () => {
    assert.equal(lookupPrice(shipped, 'openai', 'gpt-4o-mini-2024-07-18'), shipped.openai?.['gpt-4o-mini']);
    assert.equal(lookupPrice(shipped, 'openai', 'gpt-5-mini-2025-08-07'), shipped.openai?.['gpt-5-mini']);
    assert.equal(lookupPrice(shipped, 'anthropic', 'claude-opus-4-1-20250805'), shipped.anthropic?.['claude-opus-4-1']);
    assert.equal(lookupPrice(shipped, 'anthropic', 'claude-3-5-haiku-latest'), shipped.anthropic?.['claude-3-5-haiku']);
    assert.equal(lookupPrice(shipped, 'gemini', 'models/gemini-2.5-pro'), shipped.gemini?.['gemini-2.5-pro']);
    assert.equal(lookupPrice(shipped, 'gemini', 'gemini-2.0-flash-001'), shipped.gemini?.['gemini-2.0-flash']);
  });
});
