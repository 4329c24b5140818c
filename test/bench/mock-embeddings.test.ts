import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { answerEmbeddings, DEFAULT_EMBEDDING_DIMENSIONS, embed } from '../../bench/mock-embeddings.js';
import { startMockUpstream, type MockUpstream } from '../../bench/mock-upstream.js';

/**
 * The benchmark mock's /v1/embeddings: the official SDK reads its answers (it asks for
 * base64 by default and decodes it), float answers are the same vectors, and the vectors
 * are what the semantic cache scenario relies on: deterministic, unit length, near for
 * texts that differ by a word, far for unrelated texts.
 */
const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let dot = 0;
  for (let index = 0; index < a.length; index++) dot += a[index]! * b[index]!;
  return dot;
};

describe('bench mock embeddings', () => {
  let mock: MockUpstream;
  let client: OpenAI;
  before(async () => {
    mock = await startMockUpstream();
    client = new OpenAI({ baseURL: `http://127.0.0.1:${mock.port}/v1`, apiKey: 'sk-bench', maxRetries: 0 });
  });
  after(() => mock.close());

  test('the openai SDK reads a batch (base64 by default) and a float answer alike', async () => {
    const texts = ['Summarise the trade-offs of caching answers', 'Something else entirely'];
    const batch = await client.embeddings.create({ model: 'text-embedding-3-small', input: texts });
    assert.equal(batch.object, 'list');
    assert.equal(batch.data.length, 2);
    assert.deepEqual(batch.data.map((entry) => entry.index), [0, 1]);
    assert.equal(batch.data[0]!.embedding.length, DEFAULT_EMBEDDING_DIMENSIONS);
    assert.ok(batch.usage.prompt_tokens > 0 && batch.usage.total_tokens === batch.usage.prompt_tokens);
    const floats = await client.embeddings.create({ model: 'text-embedding-3-small', input: texts[0]!, encoding_format: 'float', dimensions: 256 });
    assert.equal(floats.data[0]!.embedding.length, 256);
    const expected = embed(texts[0]!, 256);
    for (const [index, value] of floats.data[0]!.embedding.entries()) assert.ok(Math.abs(value - expected[index]!) < 1e-7);
    assert.equal(mock.stats().embeddings, 2);
  });

  test('vectors are unit length, deterministic, near for a changed word and far for another text', () => {
    const question = 'Request seed: summarise the trade-offs of caching model answers in a gateway, keep it short';
    const a = embed(question, 1536);
    assert.ok(Math.abs(cosine(a, a) - 1) < 1e-5);
    assert.deepEqual(embed(question, 1536), a);
    assert.ok(cosine(a, embed(question.replace('seed', '1a2b3c4d-17'), 1536)) > 0.9);
    assert.ok(cosine(a, embed('The weather in Lisbon is mild in winter and hot in August', 1536)) < 0.3);
    assert.ok(Math.abs(cosine(embed([101, 2023, 3231], 64), embed([101, 2023, 3231], 64)) - 1) < 1e-5, 'token arrays too');
  });

  test('a malformed request gets OpenAI\'s 400 error body', () => {
    for (const body of ['{', '{"input":"x"}', '{"model":"m","input":5}', '{"model":"m","input":"x","encoding_format":"hex"}', '{"model":"m","input":"x","dimensions":0}']) {
      const answer = answerEmbeddings(body);
      assert.equal(answer.status, 400, body);
      const parsed = JSON.parse(answer.body) as { error: { type: string; message: string } };
      assert.equal(parsed.error.type, 'invalid_request_error');
      assert.ok(parsed.error.message.length > 0);
    }
  });
});
