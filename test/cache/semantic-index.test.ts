import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SemanticIndex } from '../../src/cache/semantic-index.js';
import type { CachedAnswer } from '../../src/cache/cached-answer.js';

const answer = (text: string): CachedAnswer => ({ completion: { choices: [{ index: 0, content: [{ type: 'text', text }], finishReason: 'stop' }] }, storedAt: 0 });
const textOf = (found: { answer: CachedAnswer } | undefined) => (found?.answer.completion.choices[0]!.content[0] as { text: string } | undefined)?.text;
const unit = (...values: number[]) => {
  const length = Math.hypot(...values);
  return Float32Array.from(values.map((value) => value / length));
};

describe('semantic index (USearch HNSW, cosine)', () => {
  test('finds the nearest stored answer and reports its cosine similarity', () => {
    const index = new SemanticIndex({ maxEntries: 100 });
    index.add('p', unit(1, 0, 0, 0), answer('east'), 60_000);
    index.add('p', unit(0, 1, 0, 0), answer('north'), 60_000);
    const found = index.nearest('p', unit(0.95, 0.05, 0, 0), 0.9);
    assert.equal(textOf(found), 'east');
    const expected = 0.95 / Math.hypot(0.95, 0.05);
    assert.ok(Math.abs(found!.similarity - expected) < 1e-3, `similarity ${found!.similarity} ≈ ${expected}`);
  });

  test('nothing below the threshold is served', () => {
    const index = new SemanticIndex({ maxEntries: 100 });
    index.add('p', unit(1, 0, 0, 0), answer('east'), 60_000);
    const query = unit(1, 1, 0, 0); // cosine 0.707 to the stored vector
    assert.equal(index.nearest('p', query, 0.92), undefined);
    assert.equal(textOf(index.nearest('p', query, 0.7)), 'east');
  });

  test('partitions are isolated: a vector stored under one key is never found under another', () => {
    const index = new SemanticIndex({ maxEntries: 100 });
    index.add('tenant-a', unit(1, 0, 0, 0), answer('a'), 60_000);
    assert.equal(index.nearest('tenant-b', unit(1, 0, 0, 0), 0.5), undefined);
    index.add('tenant-b', unit(1, 0, 0, 0), answer('b'), 60_000);
    assert.equal(textOf(index.nearest('tenant-a', unit(1, 0, 0, 0), 0.5)), 'a');
    assert.equal(textOf(index.nearest('tenant-b', unit(1, 0, 0, 0), 0.5)), 'b');
  });

  test('a vector of another dimension is neither stored nor searched across', () => {
    const index = new SemanticIndex({ maxEntries: 100 });
    index.add('p', unit(1, 0, 0, 0), answer('four'), 60_000);
    index.add('p', unit(1, 0, 0), answer('three'), 60_000);
    assert.equal(index.size, 1);
    assert.equal(index.nearest('p', unit(1, 0, 0), 0.5), undefined);
  });

  test('the least recently used entry is evicted beyond the bound, and leaves its graph', () => {
    const index = new SemanticIndex({ maxEntries: 2 });
    index.add('p', unit(1, 0, 0, 0), answer('first'), 60_000);
    index.add('p', unit(0, 1, 0, 0), answer('second'), 60_000);
    index.add('p', unit(0, 0, 1, 0), answer('third'), 60_000);
    assert.equal(index.size, 2);
    assert.equal(index.nearest('p', unit(1, 0, 0, 0), 0.9), undefined, 'the evicted answer is gone');
    assert.equal(textOf(index.nearest('p', unit(0, 0, 1, 0), 0.9)), 'third');
  });

  test('an expired entry is not served, and a live one behind it still is', () => {
    let now = 1_000;
    const index = new SemanticIndex({ maxEntries: 100, clock: () => now });
    index.add('p', unit(1, 0.1, 0, 0), answer('long-lived'), 60_000);
    index.add('p', unit(1, 0, 0, 0), answer('short-lived'), 1_000);
    assert.equal(textOf(index.nearest('p', unit(1, 0, 0, 0), 0.9)), 'short-lived');
    now += 2_000;
    assert.equal(textOf(index.nearest('p', unit(1, 0, 0, 0), 0.9)), 'long-lived');
    assert.equal(index.size, 1);
  });
});
