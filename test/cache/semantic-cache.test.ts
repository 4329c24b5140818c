import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { parseConfiguration } from '../../src/config/load.js';
import { createCacheMetrics } from '../../src/cache/cache-metrics.js';
import { MemoryResponseCacheStore } from '../../src/cache/memory-response-cache-store.js';
import { ResponseCache, type CacheRequest } from '../../src/cache/response-cache.js';
import { SemanticCache } from '../../src/cache/semantic-cache.js';
import { SemanticIndex } from '../../src/cache/semantic-index.js';
import type { Embedder } from '../../src/cache/gateway-embedder.js';
import type { VirtualKey } from '../../src/governance/virtual-key.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Completion } from '../../src/model/completion.js';

const configuration = parseConfiguration(
  `
providers: { p: { kind: openai, base_url: "http://127.0.0.1:1/v1", credential: { env: K } } }
models:
  embedder: { provider: p, model: text-embedding-3-small }
  semantic: { provider: p, model: m, cache: { semantic: { embeddings_model: embedder, threshold: 0.9 } } }
  other: { provider: p, model: m, cache: { semantic: { embeddings_model: embedder } } }
  unguarded: { provider: p, model: m, cache: { semantic: { embeddings_model: embedder, threshold: 0.9, require_same_numbers: false, require_same_negation: false } } }
  exact: { provider: p, model: m, cache: {} }
keys:
  - { alias: a, hash: "sha256:${'a'.repeat(64)}" }
  - { alias: b, hash: "sha256:${'b'.repeat(64)}" }
`,
  { K: 'x' },
);

const key = (alias: string): VirtualKey => ({ id: `config:${alias}`, alias, hash: '', models: [], limits: {}, expiresAt: undefined, revokedAt: undefined, metadata: {}, source: 'config' });
const completion: Completion = { choices: [{ index: 0, content: [{ type: 'text', text: 'Paris' }], finishReason: 'stop' }] };

/** Texts embed to the vectors the test names; anything else fails (the embedder's "miss"). */
const VECTORS: Record<string, number[]> = {
  'capital of France?': [1, 0, 0],
  'the capital of France please': [0.97, 0.243, 0], // cosine 0.97 to the first
  'population of France?': [0.6, 0.8, 0], // cosine 0.6
  // An embedder blind to numbers and negation, as real ones nearly are (cosine 1 within each group).
  'Give me a 3-day itinerary for Rome.': [0, 0, 1],
  'Give me a 7-day itinerary for Rome.': [0, 0, 1],
  'Plan a 3 day trip to Rome for me': [0, 0.243, 0.97], // a paraphrase of the first: cosine 0.97
  'Is coffee good for you?': [0, 1, 0],
  'Is coffee not good for you?': [0, 1, 0],
};

function semanticCacheWith(calls: Array<{ model: string; text: string; credential: string | undefined }> = []) {
  const embed: Embedder = async (request) => {
    calls.push({ model: request.model, text: request.text, credential: request.credential });
    const vector = VECTORS[request.text];
    return vector === undefined ? undefined : Float32Array.from(vector);
  };
  const store = new MemoryResponseCacheStore(1 << 20);
  const registry = new Registry();
  const semantic = new SemanticCache({ index: new SemanticIndex({ maxEntries: 100 }), embed });
  const cache = new ResponseCache({ store, metrics: createCacheMetrics(registry, store), logger: createLogger({ level: 'silent' }), clock: () => 1_000_000, now: () => 0, semantic });
  return { cache, registry };
}

const request = (text: string, overrides: Partial<CacheRequest> = {}, extra: Record<string, unknown> = {}): CacheRequest => ({
  configuration,
  endpoint: 'chat.completions',
  model: 'semantic',
  request: { model: 'semantic', temperature: 0, messages: [{ role: 'user', content: text }], ...extra },
  key: key('a'),
  headers: {},
  credential: 'sk-client-a',
  ...overrides,
});

async function fillFor(cache: ResponseCache, input: CacheRequest) {
  const plan = cache.plan(input)!;
  assert.equal(await cache.lookup(plan), undefined);
  cache.fill(plan, { completion });
}

describe('semantic cache stage', () => {
  test('a near question after a miss is a semantic hit with its similarity; the embedding uses the client credential', async () => {
    const calls: Array<{ model: string; text: string; credential: string | undefined }> = [];
    const { cache, registry } = semanticCacheWith(calls);
    await fillFor(cache, request('capital of France?'));
    const hit = await cache.lookup(cache.plan(request('the capital of France please'))!);
    assert.deepEqual(hit?.completion, completion);
    assert.ok(Math.abs(hit!.similarity! - 0.97) < 1e-3);
    assert.deepEqual(calls, [
      { model: 'embedder', text: 'capital of France?', credential: 'sk-client-a' },
      { model: 'embedder', text: 'the capital of France please', credential: 'sk-client-a' },
    ]);
    const text = await registry.metrics();
    assert.match(text, /llm_gateway_cache_lookups_total\{gen_ai_request_model="semantic",result="semantic-hit"\} 1/);
    assert.match(text, /llm_gateway_cache_lookups_total\{gen_ai_request_model="semantic",result="miss"\} 1/);
  });

  test('a far question is a miss', async () => {
    const { cache } = semanticCacheWith();
    await fillFor(cache, request('capital of France?'));
    assert.equal(await cache.lookup(cache.plan(request('population of France?'))!), undefined);
  });

  test('the partition keeps tenants, models, parameters and conversations apart', async () => {
    const { cache } = semanticCacheWith();
    await fillFor(cache, request('capital of France?'));
    const near = 'the capital of France please';
    assert.equal(await cache.lookup(cache.plan(request(near, { key: key('b') }))!), undefined, 'another key');
    assert.equal(await cache.lookup(cache.plan(request(near, { model: 'other' }))!), undefined, 'another model alias');
    assert.equal(await cache.lookup(cache.plan(request(near, {}, { max_tokens: 5 }))!), undefined, 'other parameters');
    const inAnotherConversation = request(near, {}, { messages: [{ role: 'user', content: 'hello' }, { role: 'assistant', content: 'hi' }, { role: 'user', content: near }] });
    assert.equal(await cache.lookup(cache.plan(inAnotherConversation)!), undefined, 'other preceding turns');
    assert.notEqual(await cache.lookup(cache.plan(request(near))!), undefined, 'the same partition still hits');
  });

  test('the number guard (on by default) serves no answer to a turn with other numbers, however near', async () => {
    const { cache } = semanticCacheWith();
    await fillFor(cache, request('Give me a 3-day itinerary for Rome.'));
    assert.equal(await cache.lookup(cache.plan(request('Give me a 7-day itinerary for Rome.'))!), undefined, 'another number: a miss at cosine 1');
    const paraphrase = await cache.lookup(cache.plan(request('Plan a 3 day trip to Rome for me'))!);
    assert.ok(paraphrase?.similarity !== undefined && Math.abs(paraphrase.similarity - 0.97) < 1e-3, 'the same number in other words: a hit');
  });

  test('the negation guard (on by default) serves no answer across a "not"', async () => {
    const { cache } = semanticCacheWith();
    await fillFor(cache, request('Is coffee good for you?'));
    assert.equal(await cache.lookup(cache.plan(request('Is coffee not good for you?'))!), undefined);
  });

  test('with the guards switched off, the embedding alone decides', async () => {
    const { cache } = semanticCacheWith();
    await fillFor(cache, request('Give me a 3-day itinerary for Rome.', { model: 'unguarded' }));
    await fillFor(cache, request('Is coffee good for you?', { model: 'unguarded' }));
    assert.ok((await cache.lookup(cache.plan(request('Give me a 7-day itinerary for Rome.', { model: 'unguarded' }))!))?.similarity);
    assert.ok((await cache.lookup(cache.plan(request('Is coffee not good for you?', { model: 'unguarded' }))!))?.similarity);
  });

  test('requests with tools or n > 1 have no semantic plan; models without semantic settings neither', () => {
    const { cache } = semanticCacheWith();
    assert.equal(cache.plan(request('capital of France?', {}, { tools: [{ type: 'function', function: { name: 'f' } }] }))!.semantic, undefined);
    assert.equal(cache.plan(request('capital of France?', {}, { n: 2 }))!.semantic, undefined);
    assert.equal(cache.plan(request('capital of France?', { model: 'exact' }))!.semantic, undefined);
  });

  test('an embedding that fails is a miss, and the answer is then kept by its exact key only', async () => {
    const { cache } = semanticCacheWith();
    await fillFor(cache, request('unknown to the embedder'));
    assert.notEqual(await cache.lookup(cache.plan(request('unknown to the embedder'))!), undefined, 'exact hit');
    await fillFor(cache, request('capital of France?'));
    assert.ok((await cache.lookup(cache.plan(request('the capital of France please'))!))?.similarity);
  });

  test('a refresh skips the lookup but stores the answer under its embedding', async () => {
    const { cache } = semanticCacheWith();
    await fillFor(cache, request('capital of France?', { headers: { 'cache-control': 'no-cache' } }));
    assert.notEqual(await cache.lookup(cache.plan(request('the capital of France please'))!), undefined);
  });

  test('the configuration refuses an embeddings model that is not one of the gateway\'s models', () => {
    assert.throws(
      () => parseConfiguration(`
providers: { p: { kind: openai, base_url: "http://127.0.0.1:1/v1", credential: { env: K } } }
models:
  chat: { provider: p, model: m, cache: { semantic: { embeddings_model: missing } } }
`, { K: 'x' }),
      /models\.chat\.cache\.semantic\.embeddings_model.*no model 'missing'/s,
    );
  });
});
