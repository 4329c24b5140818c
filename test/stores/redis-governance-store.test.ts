import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import { StoreUnavailableError, type GovernanceStore, type KeyLimits } from '../../src/stores/governance-store.js';
import { createRedisGovernanceStore } from '../../src/stores/redis-governance-store.js';
import { freePort } from '../support/free-port.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

const start = Date.UTC(2026, 10, 23, 12, 0, 0);
const budgetForTen: KeyLimits = { budget: { usd: 1, period: 'total' } };

function admit(store: GovernanceStore, keyId: string, limits: KeyLimits, reservationUsd = 0.1) {
  return store.admit({ keyId, now: start, limits, reservationId: randomUUID(), reservationUsd, reservationTtlMs: 30_000 });
}

/**
 * Every call a gateway makes, each expected to fail with StoreUnavailableError rather than
 * wait for a Redis that may never answer; returns the errors. How fast they fail is a
 * latency (the store's command and connect timeouts); what the test asserts is that they
 * fail at all, and the test's own timeout turns a hang into a failure.
 */
async function expectUnavailable(store: GovernanceStore): Promise<StoreUnavailableError[]> {
  const keyId = randomUUID();
  const limits: KeyLimits = { requestsPerMinute: 10, budget: { usd: 1, period: 'daily' } };
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['admit', () => admit(store, keyId, limits)],
    ['settle', () => store.settle({ keyId, now: start, limits, reservationId: randomUUID(), costUsd: 0.1, tokens: 10, model: 'gpt-4o' })],
    ['state', () => store.state(keyId, limits, start)],
    ['spend', () => store.spend(keyId, '2026-11-01', '2026-11-30')],
    ['getKey', () => store.getKey(keyId)],
    ['listKeys', () => store.listKeys()],
  ];
  const errors: StoreUnavailableError[] = [];
  for (const [name, call] of calls) {
    const error = await call().then(
      () => assert.fail(`${name} should have failed`),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof StoreUnavailableError, `${name} failed with ${String(error)}`);
    errors.push(error);
  }
  return errors;
}

function assertNoSecret(errors: unknown[], secret: string): void {
  for (const error of errors) {
    assert.ok(!String(error).includes(secret), String(error));
    assert.ok(!(error as Error).message.includes(secret));
    assert.ok(!inspect(error, { depth: 10, showHidden: true }).includes(secret), inspect(error));
    assert.ok(!JSON.stringify(error, Object.getOwnPropertyNames(error)).includes(secret));
  }
}

describe('Redis governance store', () => {
  let server: RedisServer;
  const closers: Array<() => Promise<unknown>> = [];

  before(async () => {
    server = await startRedisServer();
  });
  after(async () => {
    for (const close of closers.reverse()) await close();
    await server.stop();
  });

  function open(options: { keyPrefix?: string } = {}): GovernanceStore {
    const store = createRedisGovernanceStore({ url: server.url, ...options });
    closers.push(() => store.close());
    return store;
  }

  function rawClient(): Redis {
    const client = new Redis(server.url);
    closers.push(() => client.quit());
    return client;
  }

  test('two replicas (two clients) splitting 50 concurrent admissions against a budget for 10 admit exactly 10', async () => {
    const replicas = [open(), open()];
    const keyId = randomUUID();
    const results = await Promise.all(Array.from({ length: 50 }, (_, index) => admit(replicas[index % 2]!, keyId, budgetForTen)));
    assert.equal(results.filter((result) => result.admitted).length, 10);
    const [first, second] = await Promise.all(replicas.map((replica) => replica.state(keyId, budgetForTen, start)));
    assert.equal(first?.budget?.reservedUsd, 1);
    assert.deepEqual(first, second, 'both replicas see one state');
  });

  test('every key of a virtual key shares its hash tag, under the configured prefix; money is integer micro-dollars', async () => {
    const store = open({ keyPrefix: 'tagged:' });
    const keyId = `k-${randomUUID()}`;
    const limits: KeyLimits = { requestsPerMinute: 5, tokensPerMinute: 100, maxParallel: 2, budget: { usd: 3, period: 'daily' } };
    const reservationId = randomUUID();
    await store.admit({ keyId, now: start, limits, reservationId, reservationUsd: 0.25, reservationTtlMs: 30_000 });
    await store.admit({ keyId, now: start, limits, reservationId: randomUUID(), reservationUsd: 0.5, reservationTtlMs: 30_000 });
    await store.settle({ keyId, now: start, limits, reservationId, costUsd: 0.123456, tokens: 42, model: 'gpt-4o' });
    await store.saveKey({ id: keyId, hash: 'sha256:00', alias: 'a', models: [], limits, expiresAt: undefined, revokedAt: undefined, createdAt: 1, metadata: {} });
    const client = rawClient();
    const names = (await client.keys('tagged:*')).sort();
    const scope = `tagged:{${keyId}}:`;
    assert.deepEqual(names, [
      `tagged:key:{${keyId}}`,
      'tagged:keys',
      `${scope}budget:2026-11-23`,
      `${scope}reservation-holds`,
      `${scope}reservations`,
      `${scope}rpm`,
      `${scope}settled:${reservationId}`,
      `${scope}spend:2026-11-23`,
      `${scope}tpm`,
    ]);
    assert.deepEqual(await client.hgetall(`${scope}budget:2026-11-23`), { spent: '123456', reserved: '500000' });
    // Buckets hold the moment they are full again, and expire then (plus a second): 2 requests of 5 a minute, 42 tokens of 100.
    assert.equal(Number(await client.get(`${scope}rpm`)), start + 2 * 12_000);
    assert.equal(Number(await client.get(`${scope}tpm`)), start + 42 * 600);
    const requestsTtl = await client.pttl(`${scope}rpm`);
    assert.ok(requestsTtl > 0 && requestsTtl <= 25_000, `rpm expires in ${requestsTtl} ms`);
    assert.ok((await client.ttl(`${scope}spend:2026-11-23`)) > 399 * 24 * 3600);
    assert.ok((await client.pttl(`${scope}settled:${reservationId}`)) <= 3_600_000);
  });

  test('scripts are sent again when the server has forgotten them (NOSCRIPT)', async () => {
    const store = open();
    const keyId = randomUUID();
    assert.equal((await admit(store, keyId, budgetForTen)).admitted, true);
    await rawClient().script('FLUSH');
    assert.equal((await admit(store, keyId, budgetForTen)).admitted, true);
    assert.equal((await store.state(keyId, budgetForTen, start)).budget?.reservedUsd, 0.2);
  });

  test('a Redis that went away fails every call fast, and the store recovers by itself when it is back', { timeout: 30_000 }, async () => {
    const restartable = await startRedisServer();
    const store = createRedisGovernanceStore({ url: restartable.url });
    try {
      const keyId = randomUUID();
      assert.equal((await admit(store, keyId, budgetForTen)).admitted, true);
      await restartable.stop();
      await expectUnavailable(store);
      const restarted = await startRedisServer({ port: restartable.port });
      try {
        const deadline = Date.now() + 20_000;
        let recovered = false;
        while (!recovered && Date.now() < deadline) {
          recovered = await admit(store, keyId, budgetForTen).then(
            (result) => result.admitted,
            () => false,
          );
          if (!recovered) await sleep(50);
        }
        assert.ok(recovered, 'the store reconnected');
      } finally {
        await restarted.stop();
      }
    } finally {
      await store.close();
    }
  });
});

describe('Redis governance store without a Redis', () => {
  test('nothing listening: every call rejects with StoreUnavailableError instead of waiting', { timeout: 30_000 }, async () => {
    const store = createRedisGovernanceStore({ url: `redis://127.0.0.1:${await freePort()}` });
    try {
      await expectUnavailable(store);
    } finally {
      await store.close();
    }
  });

  test('the password in the URL appears in no error', { timeout: 30_000 }, async () => {
    const secret = 's3cr3t-Passw0rd';
    const port = await freePort();
    const store = createRedisGovernanceStore({ url: `redis://alice:${secret}@127.0.0.1:${port}/2` });
    try {
      const errors = await expectUnavailable(store);
      assertNoSecret(errors, secret);
      assert.match(errors[0]!.message, new RegExp(`redis://127\\.0\\.0\\.1:${port}/2`));
      assert.ok(!errors[0]!.message.includes('alice'));
    } finally {
      await store.close();
    }
  });

  test('a wrong password is refused without showing it; the right one works', { timeout: 30_000 }, async () => {
    const server = await startRedisServer({ password: 'right-Passw0rd' });
    const wrong = createRedisGovernanceStore({ url: `redis://:wr0ng-Secret@127.0.0.1:${server.port}` });
    const right = createRedisGovernanceStore({ url: server.url });
    try {
      const errors = await expectUnavailable(wrong);
      assertNoSecret(errors, 'wr0ng-Secret');
      assert.equal((await admit(right, randomUUID(), budgetForTen)).admitted, true);
    } finally {
      await wrong.close();
      await right.close();
      await server.stop();
    }
  });

  test('a server that accepts connections and never answers does not hang a call', { timeout: 30_000 }, async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const store = createRedisGovernanceStore({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 300, commandTimeoutMs: 300 });
    try {
      await expectUnavailable(store);
    } finally {
      await store.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
