import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findJsonNestingExcess, MAX_JSON_NESTING_DEPTH } from '../../src/json/find-json-nesting-excess.js';
import { jsonPathAt } from '../../src/json/json-path-at.js';

/** The depth of a parsed value, by recursion: the reference the scanner must agree with. */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + children.reduce<number>((deepest, child) => Math.max(deepest, depthOf(child)), 0);
}

/** A deterministic generator of awkward JSON: strings full of brackets, quotes, backslashes and escapes. */
function randomJson(seed: number, maxDepth: number): unknown {
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const awkward = ['[', ']', '{', '}', '"', '\\', '\\"', '\\\\', '\u00e9', '\ud83d\ude00', ':', ',', 'a'];
  const string = (): string => Array.from({ length: Math.floor(next() * 6) }, () => awkward[Math.floor(next() * awkward.length)]).join('');
  const build = (depth: number): unknown => {
    const choice = next();
    if (depth >= maxDepth || choice < 0.3) return choice < 0.1 ? string() : choice < 0.2 ? Math.floor(next() * 100) : null;
    const size = Math.floor(next() * 4);
    if (choice < 0.65) return Array.from({ length: size }, () => build(depth + 1));
    return Object.fromEntries(Array.from({ length: size }, () => [string(), build(depth + 1)]));
  };
  return build(0);
}

describe('findJsonNestingExcess', () => {
  test('finds the bracket that opens the first level past the limit', () => {
    assert.equal(findJsonNestingExcess('[[[]]]', 3), -1);
    assert.equal(findJsonNestingExcess('[[[[]]]]', 3), 3);
    assert.equal(findJsonNestingExcess('{"a":[{"b":{}}]}', 3), 11);
    assert.equal(findJsonNestingExcess('[[],[],[]]', 2), -1);
    assert.equal(findJsonNestingExcess('[[],[],[[[]]]]', 2), 8);
    assert.equal(findJsonNestingExcess('"just a string"', 0), -1);
    assert.equal(findJsonNestingExcess('42', 0), -1);
  });

  test('brackets inside strings do not count, whatever the escapes around them', () => {
    assert.equal(findJsonNestingExcess('["[[[[{{{{"]', 1), -1);
    assert.equal(findJsonNestingExcess('["\\"[[[["]', 1), -1, 'an escaped quote does not end the string');
    assert.equal(findJsonNestingExcess('["\\\\", [[]]]', 2), 8, 'an escaped backslash does: the brackets after it count');
    assert.equal(findJsonNestingExcess('["\\\\\\"[[", [[]]]', 2), 12, 'three backslashes then a quote: still inside the string');
    assert.equal(findJsonNestingExcess('{"k\\u005b\\"}":[[[]]]}', 3), 16);
  });

  test('an unterminated string ends the scan; the parser refuses the text', () => {
    assert.equal(findJsonNestingExcess('["[[[[[[', 2), -1);
  });

  test('agrees with a recursive measure on generated documents', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const text = JSON.stringify(randomJson(seed, 8));
      const depth = depthOf(JSON.parse(text));
      assert.equal(findJsonNestingExcess(text, depth), -1, `seed ${seed}: depth ${depth} is within a limit of ${depth}`);
      if (depth > 0) {
        const excess = findJsonNestingExcess(text, depth - 1);
        assert.ok(excess >= 0, `seed ${seed}: depth ${depth} exceeds ${depth - 1}`);
        assert.ok(text[excess] === '[' || text[excess] === '{', `seed ${seed}: points at a bracket`);
        assert.equal(findJsonNestingExcess(text.slice(0, excess + 1), depth - 1), excess, 'the first excess, not a later one');
      }
    }
  });

  test('the documented limit is 128 levels', () => {
    assert.equal(MAX_JSON_NESTING_DEPTH, 128);
    assert.equal(findJsonNestingExcess('['.repeat(128) + ']'.repeat(128)), -1);
    assert.equal(findJsonNestingExcess('['.repeat(129) + ']'.repeat(129)), 128);
    assert.equal(findJsonNestingExcess('['.repeat(100_000)), 128, 'stops at the excess, however deep the rest');
  });
});

describe('jsonPathAt', () => {
  test('names the keys and indexes that lead to an offset', () => {
    const text = '{"model":"m","tools":[{"type":"function"},{"function":{"name":"f","parameters":{"p":[[1]]}}}]}';
    assert.deepEqual(jsonPathAt(text, text.indexOf('[[') + 1, 10), ['tools', 1, 'function', 'parameters', 'p', 0]);
    assert.deepEqual(jsonPathAt(text, text.indexOf('[[') + 1, 4), ['tools', 1, 'function', 'parameters']);
  });

  test('keys are decoded, and keys inside strings are not mistaken for structure', () => {
    const text = '{"a\\"b":{"x":"{\\"y\\":[","z\\u0041":[[]]}}';
    assert.deepEqual(jsonPathAt(text, text.lastIndexOf('[[') + 1, 10), ['a"b', 'zA', 0]);
  });
});
