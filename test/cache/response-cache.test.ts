import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { parseConfiguration } from '../../src/config/load.js';
import { createCacheMetrics } from '../../src/cache/cache-metrics.js';
import { MemoryResponseCacheStore } from '../../src/cache/memory-response-cache-store.js';
import { ResponseCache, type CacheRequest } from '../../src/cache/response-cache.js';
import type { ResponseCacheStore } from '../../src/cache/response-cache-store.js';
import type { VirtualKey } from '../../src/governance/virtual-key.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Completion } from '../../src/model/completion.js';
import { createAnswerCapture } from '../../src/cache/answer-capture.js';
import { replayCacheHit } from '../../src/cache/replay-cached-answer.js';

const EMBEDDINGS_BODY = '{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.25,-0.5]}],"model":"m","usage":{"prompt_tokens":2,"total_tokens":2}}';

const configuration = parseConfiguration(
  `
providers: { p: { kind: openai, base_url: "http://127.0.0.1:1/v1", credential: { env: K } } }
models:
  cached: { provider: p, model: m, cache: { ttl: 1m } }
  wide: { provider: p, model: m, cache: { deterministic_only: false } }
  plain: { provider: p, model: m }
keys:
  - { alias: a, hash: "sha256:${'a'.repeat(64)}" }
  - { alias: b, hash: "sha256:${'b'.repeat(64)}" }
  - { alias: shared1, hash: "sha256:${'c'.repeat(64)}", cache: { scope: global } }
  - { alias: shared2, hash: "sha256:${'d'.repeat(64)}", cache: { scope: global } }
  - { alias: none, hash: "sha256:${'e'.repeat(64)}", cache: false }
`,
  { K: 'x' },
);

const key = (alias: string): VirtualKey => ({ id: `config:${alias}`, alias, hash: '', models: [], limits: {}, expiresAt: undefined, revokedAt: undefined, metadata: {}, source: 'config' });
const completion: Completion = { choices: [{ index: 0, content: [{ type: 'text', text: 'stored' }], finishReason: 'stop' }] };

function cacheWith(store: ResponseCacheStore = new MemoryResponseCacheStore(1 << 20)) {
  return new ResponseCache({ store, metrics: createCacheMetrics(new Registry(), store), logger: createLogger({ level: 'silent' }), clock: () => 1_000_000, now: () => 0 });
}

const request = (overrides: Partial<CacheRequest> = {}): CacheRequest => ({
  configuration,
  endpoint: 'chat.completions',
  model: 'cached',
  request: { model: 'cached', temperature: 0, messages: [{ role: 'user', content: 'hi' }] },
  key: key('a'),
  headers: {},
  ...overrides,
});

describe('response cache stage', () => {
  test('off for models and keys that do not opt in, and for endpoints it cannot replay', () => {
    const cache = cacheWith();
    assert.equal(cache.plan(request({ model: 'plain' })), undefined);
    assert.equal(cache.plan(request({ key: key('none') })), undefined, 'cache: false on the key');
    assert.equal(cache.plan(request({ endpoint: 'messages.count_tokens' })), undefined);
  });

  test('embeddings: cached exactly, whatever the temperature rule, keyed on encoding and dimensions', async () => {
    const cache = cacheWith();
    const embed = (body: Record<string, unknown>) => request({ endpoint: 'embeddings', request: { model: 'cached', input: 'hello', ...body } });
    const plan = cache.plan(embed({}))!;
    assert.equal(plan.status, 'miss', 'deterministic_only does not apply: an embedding has no sampling');
    assert.equal(plan.semantic, undefined);
    const captured = createAnswerCapture('openai', 'embeddings').fromBody(Buffer.from(EMBEDDINGS_BODY));
    assert.equal(captured?.body, EMBEDDINGS_BODY);
    assert.equal(captured?.completion.usage?.promptTokens, 2);
    cache.fill(plan, captured!);
    const hit = await cache.lookup(cache.plan(embed({ user: 'end-user-2' }))!);
    assert.equal(hit?.body, EMBEDDINGS_BODY, 'the same JSON, byte for byte; user is transport only');
    assert.equal(replayCacheHit(hit!, { format: 'openai', stream: false, includeUsage: false, id: 'emb-x', created: 0, model: 'cached' }).body.toString(), EMBEDDINGS_BODY);
    assert.equal(await cache.lookup(cache.plan(embed({ encoding_format: 'base64' }))!), undefined, 'another encoding is another answer');
    assert.equal(await cache.lookup(cache.plan(embed({ dimensions: 2 }))!), undefined, 'other dimensions are another answer');
    assert.equal(await cache.lookup(cache.plan({ ...embed({}), key: key('b') })!), undefined, 'another key misses');
    assert.equal(createAnswerCapture('openai', 'embeddings').fromBody(Buffer.from('{"error":{"message":"no"}}')), undefined, 'an error body is not stored');
  });

  test('a stored answer is found by its own key only', async () => {
    const cache = cacheWith();
    const plan = cache.plan(request())!;
    assert.equal(cache.lookup(plan), undefined);
    cache.fill(plan, { completion });
    assert.deepEqual((await cache.lookup(cache.plan(request())!))?.completion, completion);
    assert.equal(cache.lookup(cache.plan(request({ key: key('b') }))!), undefined, 'another key misses');
    assert.equal(cache.lookup(cache.plan(request({ key: undefined }))!), undefined, 'an anonymous caller misses');
  });

  test('a key with scope global shares with other global keys', () => {
    const cache = cacheWith();
    cache.fill(cache.plan(request({ key: key('shared1') }))!, { completion });
    assert.notEqual(cache.lookup(cache.plan(request({ key: key('shared2') }))!), undefined);
    assert.equal(cache.lookup(cache.plan(request({ key: key('a') }))!), undefined);
  });

  test('non-deterministic requests bypass unless the model widens it; no-cache refreshes', () => {
    const cache = cacheWith();
    const sampled = { model: 'cached', temperature: 1, messages: [] };
    assert.equal(cache.plan(request({ request: sampled }))!.status, 'bypass');
    assert.equal(cache.plan(request({ model: 'wide', request: sampled }))!.status, 'miss');
    const refresh = cache.plan(request({ headers: { 'cache-control': 'no-cache' } }))!;
    assert.deepEqual([refresh.reads, refresh.writes], [false, true]);
    const noStore = cache.plan(request({ headers: { 'cache-control': 'no-store' } }))!;
    assert.deepEqual([noStore.reads, noStore.writes, noStore.status], [false, false, 'bypass']);
  });

  test('a failing store is a miss that stores nothing, never an error', () => {
    const broken: ResponseCacheStore = {
      get: () => {
        throw new Error('down');
      },
      set: () => {
        throw new Error('down');
      },
      size: { entries: 0, bytes: 0 },
    };
    const cache = cacheWith(broken);
    const plan = cache.plan(request())!;
    assert.equal(cache.lookup(plan), undefined);
    assert.doesNotThrow(() => cache.fill(plan, { completion }));
  });
});
