import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { parseConfiguration } from '../../src/config/load.js';
import { cacheJournalPath } from '../../src/cache/cache-journal-path.js';
import { createResponseCache } from '../../src/cache/create-response-cache.js';
import type { Embedder } from '../../src/cache/gateway-embedder.js';
import { MemoryResponseCacheStore } from '../../src/cache/memory-response-cache-store.js';
import type { CacheRequest } from '../../src/cache/response-cache.js';
import { SqliteCacheJournal } from '../../src/cache/sqlite-cache-journal.js';
import type { VirtualKey } from '../../src/governance/virtual-key.js';
import type { Completion } from '../../src/model/completion.js';
import { createLogger } from '../../src/observability/logger.js';

/**
 * The memory store survives a restart through its SQLite journal: a store recreated from the
 * same file serves what the previous one stored, until each entry's TTL, within max_bytes.
 */
const directory = mkdtempSync(join(tmpdir(), 'cache-journal-'));
after(() => rmSync(directory, { recursive: true, force: true }));

const completion = (text: string): Completion => ({ choices: [{ index: 0, content: [{ type: 'text', text }], finishReason: 'stop' }] });
const answer = (text: string, storedAt: number) => ({ completion: completion(text), storedAt });
const noError = (_operation: string, error: unknown) => assert.fail(String(error));

describe('memory store with a SQLite journal', () => {
  test('a store recreated from the same file serves what was stored; expired entries are not served', () => {
    const path = join(directory, 'restart.db');
    let wall = 1_000_000;
    const clock = () => wall;
    const first = new MemoryResponseCacheStore(1 << 20, { journal: SqliteCacheJournal.open({ path, clock, maxSemanticEntries: 0, onError: noError }), clock });
    first.set('long', answer('kept', wall), 60_000);
    first.set('short', answer('gone', wall), 1_000);
    void first.close();

    wall += 5_000; // the short entry's TTL has run out while the process was down
    const journal = SqliteCacheJournal.open({ path, clock, maxSemanticEntries: 0, onError: noError });
    const entries = journal.loadExact();
    assert.deepEqual(
      entries.map((entry) => entry.key),
      ['long'],
      'the expired entry is neither loaded nor kept in the file',
    );
    const second = new MemoryResponseCacheStore(1 << 20, { journal, clock });
    for (const entry of entries) second.restore(entry.key, entry.answer, entry.expiresAt);
    assert.deepEqual(second.get('long')?.completion, completion('kept'));
    assert.equal(second.get('short'), undefined);
    void second.close();
  });

  test('the file holds what the memory bound holds: evicted entries are removed from it too', () => {
    const path = join(directory, 'bounded.db');
    const clock = () => 1_000_000;
    const big = 'x'.repeat(1000);
    const store = new MemoryResponseCacheStore(5000, { journal: SqliteCacheJournal.open({ path, clock, maxSemanticEntries: 0, onError: noError }), clock });
    for (const name of ['a', 'b', 'c', 'd']) store.set(name, answer(big + name, 1_000_000), 60_000);
    const held = ['a', 'b', 'c', 'd'].filter((name) => store.get(name) !== undefined);
    assert.ok(held.length < 4, 'the bound evicted something');
    void store.close();
    const journal = SqliteCacheJournal.open({ path, clock, maxSemanticEntries: 0, onError: noError });
    assert.deepEqual(
      journal.loadExact().map((entry) => entry.key).sort(),
      held.sort(),
    );
    journal.close();
  });

  test('writes are batched: nothing is written before the flush', () => {
    const path = join(directory, 'batched.db');
    const clock = () => 1_000_000;
    const journal = SqliteCacheJournal.open({ path, clock, maxSemanticEntries: 0, onError: noError, flushIntervalMs: 60_000 });
    journal.put('k', answer('later', 1_000_000), 2_000_000);
    const reader = () => {
      // Another process cannot open the file (exclusive lock): read what is on disk through the same journal's load.
      return journal.loadExact().map((entry) => entry.key);
    };
    assert.deepEqual(reader(), [], 'a put is only noted in memory');
    journal.flush();
    assert.deepEqual(reader(), ['k']);
    journal.close();
  });
});

test('a burst larger than one transaction is written batch by batch, all of it', async () => {
  const path = join(directory, 'burst.db');
  const clock = () => 1_000_000;
  const journal = SqliteCacheJournal.open({ path, clock, maxSemanticEntries: 0, onError: noError, flushIntervalMs: 1 });
  for (let index = 0; index < 300; index++) journal.put(`k${index}`, answer(`answer ${index}`, 1_000_000 + index), 2_000_000);
  // The drain runs on timers and immediates: wait for it, by turns of the event loop, not by a duration.
  for (let turn = 0; turn < 10_000 && journal.loadExact().length < 300; turn++) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.deepEqual(
    journal.loadExact().map((entry) => entry.key),
    Array.from({ length: 300 }, (_, index) => `k${index}`),
    'every entry, oldest first',
  );
  journal.close();
});

describe('createResponseCache with the durable store', () => {
  const configuration = (path: string, extra = '') =>
    parseConfiguration(
      `
providers: { p: { kind: openai, base_url: "http://127.0.0.1:1/v1", credential: { env: K } } }
models:
  embedder: { provider: p, model: text-embedding-3-small }
  cached: { provider: p, model: m, cache: { ttl: 1m, semantic: { embeddings_model: embedder } } }
governance: { sqlite: { path: "${path}" } }
${extra}
`,
      { K: 'x' },
    );
  const key: VirtualKey = { id: 'config:a', alias: 'a', hash: '', models: [], limits: {}, expiresAt: undefined, revokedAt: undefined, metadata: {}, source: 'config' };
  const request = (configurationValue: ReturnType<typeof configuration>, text: string): CacheRequest => ({
    configuration: configurationValue,
    endpoint: 'chat.completions',
    model: 'cached',
    request: { model: 'cached', temperature: 0, messages: [{ role: 'user', content: text }] },
    key,
    headers: {},
  });
  const vectors: Record<string, number[]> = { 'capital of France?': [1, 0, 0], 'the capital of France please': [0.97, 0.243, 0] };
  const embed: Embedder = async ({ text }) => (vectors[text] === undefined ? undefined : Float32Array.from(vectors[text]!));
  const start = (configurationValue: ReturnType<typeof configuration>, wall: number) =>
    createResponseCache(configurationValue, { registry: new Registry(), logger: createLogger({ level: 'silent' }), clock: () => wall, now: () => 0, environment: {}, embed })!;

  test('by default the journal lives beside the governance file; persist: false or a redis store keep none', () => {
    const path = join(directory, 'governance.db');
    assert.equal(cacheJournalPath(configuration(path)), join(directory, 'response-cache.db'));
    assert.equal(cacheJournalPath(configuration(path, 'cache: { persist: false }')), undefined);
    assert.equal(cacheJournalPath(configuration(path, 'cache: { store: redis }')), undefined);
    assert.equal(cacheJournalPath(configuration(path, `cache: { sqlite: { path: "${join(directory, 'own.db')}" } }`)), join(directory, 'own.db'));
  });

  test('a restarted cache answers exactly and by meaning from what the previous one stored', async () => {
    const configurationValue = configuration(join(directory, 'wired', 'governance.db'));
    const before = start(configurationValue, 1_000_000);
    const plan = before.cache.plan(request(configurationValue, 'capital of France?'))!;
    assert.equal(await before.cache.lookup(plan), undefined);
    before.cache.fill(plan, { completion: completion('Paris') });
    await before.close();

    const afterRestart = start(configurationValue, 1_030_000);
    const exact = await afterRestart.cache.lookup(afterRestart.cache.plan(request(configurationValue, 'capital of France?'))!);
    assert.deepEqual(exact?.completion, completion('Paris'));
    assert.equal(exact?.similarity, undefined);
    const near = await afterRestart.cache.lookup(afterRestart.cache.plan(request(configurationValue, 'the capital of France please'))!);
    assert.deepEqual(near?.completion, completion('Paris'));
    assert.ok((near?.similarity ?? 0) > 0.9);
    await afterRestart.close();

    const expired = start(configurationValue, 1_000_000 + 61_000);
    assert.equal(await expired.cache.lookup(expired.cache.plan(request(configurationValue, 'capital of France?'))!), undefined, 'past its TTL: not served');
    assert.equal(await expired.cache.lookup(expired.cache.plan(request(configurationValue, 'the capital of France please'))!), undefined);
    await expired.close();
  });
});
