import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createTokenCounter } from '../../src/gateway/token-counter.js';

const counter = createTokenCounter();
after(() => counter.close());

test('counts with o200k_base in the tokenizer thread', async () => {
  assert.equal(await counter.count(''), 0);
  assert.equal(await counter.count('hello world'), 2);
  // A long, mixed text whose o200k_base count is known (OpenAI's tiktoken).
  assert.equal(await counter.count('Summarise the trade-offs of running an external processing sidecar next to a proxy — héllo 世界 🚀'), 23);
});

test('text that looks like a special token is counted as plain text, never thrown on', async () => {
  assert.ok((await counter.count('<|endoftext|>')) > 1);
});

test('concurrent counts each get their own answer', async () => {
  const texts = ['a', 'hello world', 'one two three four five six'];
  const counts = await Promise.all(texts.map((text) => counter.count(text)));
  assert.deepEqual(counts, await Promise.all(texts.map((text) => counter.count(text))));
  assert.equal(counts[1], 2);
  assert.ok(counts[2]! > counts[1]!);
});

test('a stopped tokenizer still answers, with the rough count', async () => {
  const stopped = createTokenCounter();
  await stopped.close();
  assert.equal(await stopped.count('12345678'), 2);
});

test('a tokenizer started ahead of its first count counts the same', async () => {
  const early = createTokenCounter();
  early.start();
  early.start();
  try {
    assert.equal(await early.count('hello world'), 2);
  } finally {
    await early.close();
  }
});
