import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AdmissionRequest, AdmissionResult, GovernanceStore, KeyLimits, Settlement, StoredKey } from '../../src/stores/governance-store.js';
import { createMemoryGovernanceStore } from '../../src/stores/memory-governance-store.js';
import { createRedisGovernanceStore } from '../../src/stores/redis-governance-store.js';
import { createSqliteGovernanceStore } from '../../src/stores/sqlite-governance-store.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

/** 2026-11-23T12:00:00Z, the start of a rate window. */
const start = Date.UTC(2026, 10, 23, 12, 0, 0);
const second = 1000;
const ttlMs = 30 * second;

/**
 * The behaviour every GovernanceStore must have, run against each implementation. Each test
 * uses its own key id, so the tests share one store without seeing each other.
 */
function governanceStoreContract(name: string, open: () => Promise<{ store: GovernanceStore; close: () => Promise<void> }>): void {
  describe(`${name} governance store contract`, () => {
    let store: GovernanceStore;
    let close: () => Promise<void>;

    before(async () => {
      ({ store, close } = await open());
    });
    after(async () => {
      await close();
    });

    function admit(keyId: string, limits: KeyLimits, now: number, reservationUsd = 0, reservationId: string = randomUUID()): Promise<AdmissionResult> {
      const request: AdmissionRequest = { keyId, now, limits, reservationId, reservationUsd, reservationTtlMs: ttlMs };
      return store.admit(request);
    }

    function settle(keyId: string, limits: KeyLimits, now: number, reservationId: string, costUsd: number, tokens = 0, model = 'gpt-4o'): Promise<void> {
      const settlement: Settlement = { keyId, now, limits, reservationId, costUsd, tokens, model };
      return store.settle(settlement);
    }

    function refused(result: AdmissionResult): { reason: string; retryAfterSeconds: number | undefined } {
      assert.equal(result.admitted, false, 'expected a refusal');
      if (result.admitted) throw new Error('unreachable');
      return { reason: result.reason, retryAfterSeconds: result.retryAfterSeconds };
    }

    test('requests per minute: a bucket that refills one request every 60 s / limit; reset is until full, retry-after the true wait', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = { requestsPerMinute: 3 };
      // One request comes back every 20 s: reset is how long until all three are back.
      for (const [remaining, resetSeconds] of [
        [2, 20],
        [1, 40],
        [0, 60],
      ] as const) {
        const result = await admit(keyId, limits, start + second);
        assert.equal(result.admitted, true);
        assert.deepEqual(result.state.requests, { limit: 3, remaining, resetSeconds }, 'never reset 0 while any is used');
      }
      // At 10 s, 51 s of the window are still in use; one more fits once 40 s are (11 s from now).
      assert.deepEqual(refused(await admit(keyId, limits, start + 10 * second)), { reason: 'requests_per_minute', retryAfterSeconds: 11 });
      const unchanged = await store.state(keyId, limits, start + 10 * second);
      assert.deepEqual(unchanged.requests, { limit: 3, remaining: 0, resetSeconds: 51 }, 'a refusal counts nothing');
      assert.deepEqual(refused(await admit(keyId, limits, start + 20 * second)), { reason: 'requests_per_minute', retryAfterSeconds: 1 });
      const admitted = await admit(keyId, limits, start + 21 * second);
      assert.equal(admitted.admitted, true, 'admitted exactly when the refusal said');
      assert.deepEqual(admitted.state.requests, { limit: 3, remaining: 0, resetSeconds: 60 });
      // A key that used all three at once waits one interval (20 s), never more than the window.
      assert.deepEqual(refused(await admit(keyId, limits, start + 21 * second)), { reason: 'requests_per_minute', retryAfterSeconds: 20 });
      assert.equal((await admit(keyId, limits, start + 41 * second)).admitted, true);
      // A minute of quiet fills the bucket.
      const later = await store.state(keyId, limits, start + 101 * second);
      assert.deepEqual(later.requests, { limit: 3, remaining: 3, resetSeconds: 0 });
    });

    test('tokens per minute: counted when settled, not when admitted; admitted while any are left', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = { tokensPerMinute: 100 };
      const first = randomUUID();
      assert.equal((await admit(keyId, limits, start, 0, first)).admitted, true);
      const another = await admit(keyId, limits, start + second);
      assert.equal(another.admitted, true, 'nothing is counted before a settle');
      assert.deepEqual(another.state.tokens, { limit: 100, remaining: 100, resetSeconds: 0 });
      // 150 tokens at 0.6 s each: the bucket is full again 90 s later, and has a token 30 s + a moment later.
      await settle(keyId, limits, start + 5 * second, first, 0, 150);
      assert.deepEqual(refused(await admit(keyId, limits, start + 10 * second)), { reason: 'tokens_per_minute', retryAfterSeconds: 26 });
      assert.deepEqual((await store.state(keyId, limits, start + 10 * second)).tokens, { limit: 100, remaining: 0, resetSeconds: 85 });
      assert.equal((await admit(keyId, limits, start + 35 * second)).admitted, false, 'at the edge itself, none is left yet');
      const admitted = await admit(keyId, limits, start + 36 * second);
      assert.equal(admitted.admitted, true);
      assert.equal(admitted.state.tokens?.remaining, 1, '1 s refilled: 1.67 tokens');
    });

    test('tokens per minute: a response far over the limit leaves the key refused for at most one more minute', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = { tokensPerMinute: 100 };
      await settle(keyId, limits, start, randomUUID(), 0, 100_000);
      assert.deepEqual(refused(await admit(keyId, limits, start)), { reason: 'tokens_per_minute', retryAfterSeconds: 60 });
      assert.equal((await admit(keyId, limits, start + 60 * second)).admitted, true);
    });

    test('max parallel: a slot is freed by settle and by expiry', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = { maxParallel: 2 };
      const first = randomUUID();
      assert.equal((await admit(keyId, limits, start, 0, first)).admitted, true);
      const secondResult = await admit(keyId, limits, start + 10 * second);
      assert.deepEqual(secondResult.state.parallel, { limit: 2, active: 2 });
      assert.deepEqual(refused(await admit(keyId, limits, start + 10 * second)), { reason: 'max_parallel', retryAfterSeconds: 1 });
      await settle(keyId, limits, start + 11 * second, first, 0);
      assert.deepEqual((await store.state(keyId, limits, start + 11 * second)).parallel, { limit: 2, active: 1 });
      assert.equal((await admit(keyId, limits, start + 12 * second)).admitted, true);
      assert.equal((await admit(keyId, limits, start + 12 * second)).admitted, false);
      // The one admitted at 10 s expires at 40 s, the one at 12 s at 42 s.
      assert.deepEqual((await store.state(keyId, limits, start + 40 * second)).parallel, { limit: 2, active: 1 });
      const afterExpiry = await admit(keyId, limits, start + 40 * second);
      assert.equal(afterExpiry.admitted, true);
      assert.deepEqual(afterExpiry.state.parallel, { limit: 2, active: 2 });
    });

    test('budget: admitted up to exactly the limit, and a settle for less frees the rest', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = { budget: { usd: 1, period: 'total' } };
      const first = randomUUID();
      assert.equal((await admit(keyId, limits, start, 0.4, first)).admitted, true);
      const full = await admit(keyId, limits, start, 0.6);
      assert.equal(full.admitted, true);
      assert.deepEqual(full.state.budget, { limitUsd: 1, spentUsd: 0, reservedUsd: 1, period: 'total', periodId: 'total', resetsAt: undefined });
      const refusal = await admit(keyId, limits, start, 0.000001);
      assert.deepEqual(refused(refusal), { reason: 'budget', retryAfterSeconds: undefined });
      assert.deepEqual(refusal.state.budget?.reservedUsd, 1, 'a refusal reserves nothing');
      await settle(keyId, limits, start + second, first, 0.1);
      const state = await store.state(keyId, limits, start + second);
      assert.equal(state.budget?.spentUsd, 0.1);
      assert.equal(state.budget?.reservedUsd, 0.6);
      assert.equal((await admit(keyId, limits, start + second, 0.300001)).admitted, false);
      const exact = await admit(keyId, limits, start + second, 0.3);
      assert.equal(exact.admitted, true, '0.1 spent + 0.6 reserved + 0.3 is exactly the limit');
      assert.equal(exact.state.budget?.reservedUsd, 0.9);
    });

    test('budget: an expired reservation releases what it held', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = { budget: { usd: 1, period: 'total' } };
      assert.equal((await admit(keyId, limits, start, 1)).admitted, true);
      assert.equal((await admit(keyId, limits, start + ttlMs - 1, 0.5)).admitted, false);
      const state = await store.state(keyId, limits, start + ttlMs);
      assert.equal(state.budget?.reservedUsd, 0);
      assert.equal((await admit(keyId, limits, start + ttlMs, 1)).admitted, true);
    });

    test('daily budget: periods follow UTC days, and a reservation from before midnight is released from its own day', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = { budget: { usd: 1, period: 'daily' } };
      const beforeMidnight = Date.UTC(2026, 10, 23, 23, 59, 30);
      const afterMidnight = Date.UTC(2026, 10, 24, 0, 0, 10);
      const early = randomUUID();
      const first = await admit(keyId, limits, beforeMidnight, 0.8, early);
      assert.deepEqual(first.state.budget, { limitUsd: 1, spentUsd: 0, reservedUsd: 0.8, period: 'daily', periodId: '2026-11-23', resetsAt: Date.UTC(2026, 10, 24) });
      assert.deepEqual(refused(await admit(keyId, limits, beforeMidnight, 0.3)), { reason: 'budget', retryAfterSeconds: 30 });
      const newDay = await admit(keyId, limits, afterMidnight, 0.9);
      assert.equal(newDay.admitted, true, 'the 23rd’s reservation does not count against the 24th');
      assert.deepEqual(newDay.state.budget, { limitUsd: 1, spentUsd: 0, reservedUsd: 0.9, period: 'daily', periodId: '2026-11-24', resetsAt: Date.UTC(2026, 10, 25) });
      await settle(keyId, limits, afterMidnight + 10 * second, early, 0.05);
      const settled = await store.state(keyId, limits, afterMidnight + 10 * second);
      assert.equal(settled.budget?.spentUsd, 0.05, 'the cost counts on the day it was settled');
      assert.equal(settled.budget?.reservedUsd, 0.9, 'the release came out of the 23rd');
      assert.equal((await store.state(keyId, limits, beforeMidnight + 20 * second)).budget?.reservedUsd, 0);
      assert.equal((await admit(keyId, limits, afterMidnight + 10 * second, 0.06)).admitted, false);
      assert.equal((await admit(keyId, limits, afterMidnight + 10 * second, 0.05)).admitted, true);
    });

    test('monthly budget: periods follow UTC months', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = { budget: { usd: 10, period: 'monthly' } };
      const reservationId = randomUUID();
      const november = await admit(keyId, limits, Date.UTC(2026, 10, 30, 23, 59), 6, reservationId);
      assert.equal(november.state.budget?.periodId, '2026-11');
      assert.equal(november.state.budget?.resetsAt, Date.UTC(2026, 11, 1));
      await settle(keyId, limits, Date.UTC(2026, 11, 1, 0, 1), reservationId, 4);
      assert.deepEqual((await store.state(keyId, limits, Date.UTC(2026, 11, 1, 0, 2))).budget, {
        limitUsd: 10,
        spentUsd: 4,
        reservedUsd: 0,
        period: 'monthly',
        periodId: '2026-12',
        resetsAt: Date.UTC(2027, 0, 1),
      });
      assert.deepEqual((await store.state(keyId, limits, Date.UTC(2026, 10, 30, 23, 59))).budget?.reservedUsd, 0);
    });

    test('settling the same reservation twice records once', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = { budget: { usd: 5, period: 'total' }, tokensPerMinute: 1000, maxParallel: 3 };
      const reservationId = randomUUID();
      await admit(keyId, limits, start, 1, reservationId);
      await settle(keyId, limits, start + second, reservationId, 0.5, 100);
      await settle(keyId, limits, start + 2 * second, reservationId, 0.5, 100);
      const state = await store.state(keyId, limits, start + 2 * second);
      assert.equal(state.budget?.spentUsd, 0.5);
      assert.equal(state.budget?.reservedUsd, 0);
      // 100 tokens at 60 ms each, 1 s of it refilled: 55 s of the window in use, 916.7 tokens left (816.7 if counted twice).
      assert.equal(state.tokens?.remaining, 916);
      assert.equal(state.parallel?.active, 0);
      assert.deepEqual(await store.spend(keyId, '2026-11-23', '2026-11-23'), [{ day: '2026-11-23', model: 'gpt-4o', usd: 0.5, tokens: 100, requests: 1, unpricedRequests: 0 }]);
    });

    test('a release frees the hold and the parallel slot, records no spend, and counts once', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = { budget: { usd: 5, period: 'total' }, tokensPerMinute: 1000, maxParallel: 1 };
      const reservationId = randomUUID();
      await admit(keyId, limits, start, 1, reservationId);
      await store.settle({ keyId, now: start + second, limits, reservationId, costUsd: 0, tokens: 0, model: undefined });
      await settle(keyId, limits, start + 2 * second, reservationId, 0.5, 10);
      const state = await store.state(keyId, limits, start + 2 * second);
      assert.equal(state.budget?.spentUsd, 0, 'a settle after the release records nothing: it was the same reservation');
      assert.equal(state.budget?.reservedUsd, 0);
      assert.equal(state.parallel?.active, 0);
      assert.equal(state.tokens?.remaining, 1000);
      assert.deepEqual(await store.spend(keyId, '2026-11-23', '2026-11-23'), [], 'no spend row, not even one with no model');
      assert.equal((await admit(keyId, limits, start + 3 * second, 1)).admitted, true, 'the parallel slot is free again');
    });

    test('a settle for a reservation the store never admitted records the spend and releases nothing', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = { budget: { usd: 5, period: 'total' }, maxParallel: 3 };
      await admit(keyId, limits, start, 1);
      await settle(keyId, limits, start + second, randomUUID(), 0.25, 7);
      const state = await store.state(keyId, limits, start + second);
      assert.equal(state.budget?.spentUsd, 0.25);
      assert.equal(state.budget?.reservedUsd, 1);
      assert.equal(state.parallel?.active, 1);
      assert.deepEqual(await store.spend(keyId, '2026-11-23', '2026-11-23'), [{ day: '2026-11-23', model: 'gpt-4o', usd: 0.25, tokens: 7, requests: 1, unpricedRequests: 0 }]);
    });

    test('spend by day and model, sorted by day then model, within the days asked for', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = {};
      const day = 24 * 60 * 60 * second;
      await settle(keyId, limits, start, randomUUID(), 0.1, 100, 'gpt-4o');
      await settle(keyId, limits, start + second, randomUUID(), 0.2, 200, 'gpt-4o');
      await settle(keyId, limits, start + 2 * second, randomUUID(), 0.000003, 3, 'anthropic:claude-sonnet');
      await settle(keyId, limits, start + day, randomUUID(), 1.5, 1000, 'gpt-4o-mini');
      await settle(keyId, limits, start + 3 * day, randomUUID(), 0, 0, 'gpt-4o');
      assert.deepEqual(await store.spend(keyId, '2026-11-22', '2026-11-24'), [
        { day: '2026-11-23', model: 'anthropic:claude-sonnet', usd: 0.000003, tokens: 3, requests: 1, unpricedRequests: 0 },
        { day: '2026-11-23', model: 'gpt-4o', usd: 0.3, tokens: 300, requests: 2, unpricedRequests: 0 },
        { day: '2026-11-24', model: 'gpt-4o-mini', usd: 1.5, tokens: 1000, requests: 1, unpricedRequests: 0 },
      ]);
      assert.deepEqual(await store.spend(keyId, '2026-11-26', '2026-11-26'), [{ day: '2026-11-26', model: 'gpt-4o', usd: 0, tokens: 0, requests: 1, unpricedRequests: 0 }]);
      assert.deepEqual(await store.spend(keyId, '2026-11-24', '2026-11-23'), []);
      assert.deepEqual(await store.spend(randomUUID(), '2026-11-01', '2026-11-30'), []);
      await assert.rejects(store.spend(keyId, '2026-11-31', '2026-12-01'), RangeError);
    });

    test('a cost that is unknown (no price) is recorded as unknown, never as $0, and adds nothing to the budget', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = { budget: { usd: 5, period: 'total' } };
      const unknown = (model: string, tokens: number) => store.settle({ keyId, now: start, limits, reservationId: randomUUID(), costUsd: undefined, tokens, model });
      await unknown('mystery', 40);
      await unknown('mystery', 2);
      await unknown('mixed', 5);
      await settle(keyId, limits, start, randomUUID(), 0.25, 7, 'mixed');
      await settle(keyId, limits, start, randomUUID(), 0, 3, 'free');
      assert.deepEqual(await store.spend(keyId, '2026-11-23', '2026-11-23'), [
        { day: '2026-11-23', model: 'free', usd: 0, tokens: 3, requests: 1, unpricedRequests: 0 },
        { day: '2026-11-23', model: 'mixed', usd: 0.25, tokens: 12, requests: 2, unpricedRequests: 1 },
        { day: '2026-11-23', model: 'mystery', usd: null, tokens: 42, requests: 2, unpricedRequests: 2 },
      ]);
      assert.equal((await store.state(keyId, limits, start)).budget?.spentUsd, 0.25);
    });

    test('a key with neither budget nor max parallel holds nothing, but its requests are counted', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = { requestsPerMinute: 10 };
      const result = await admit(keyId, limits, start, 3);
      assert.deepEqual(result.state, { requests: { limit: 10, remaining: 9, resetSeconds: 6 }, tokens: undefined, parallel: undefined, budget: undefined });
      const withParallel = await store.state(keyId, { ...limits, maxParallel: 5 }, start);
      assert.deepEqual(withParallel.parallel, { limit: 5, active: 0 });
      const noLimits = await admit(randomUUID(), {}, start);
      assert.deepEqual(noLimits, { admitted: true, state: { requests: undefined, tokens: undefined, parallel: undefined, budget: undefined } });
    });

    test('limits are checked in order: requests, tokens, parallel, budget', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = { requestsPerMinute: 2, tokensPerMinute: 50, maxParallel: 1, budget: { usd: 1, period: 'total' } };
      const reservationId = randomUUID();
      assert.equal((await admit(keyId, limits, start, 2)).admitted, false);
      assert.equal(refused(await admit(keyId, limits, start, 2)).reason, 'budget');
      assert.equal((await admit(keyId, limits, start, 0.5, reservationId)).admitted, true);
      assert.equal(refused(await admit(keyId, limits, start, 2)).reason, 'max_parallel');
      await settle(keyId, limits, start, reservationId, 0.1, 60);
      assert.equal(refused(await admit(keyId, limits, start, 2)).reason, 'tokens_per_minute');
      assert.equal((await store.state(keyId, limits, start)).requests?.remaining, 1, 'refusals counted no request');
    });

    test('state() is what admit reported, and reading it changes nothing', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = { requestsPerMinute: 5, tokensPerMinute: 500, maxParallel: 4, budget: { usd: 2, period: 'daily' } };
      const reservationId = randomUUID();
      await admit(keyId, limits, start, 0.5, reservationId);
      await settle(keyId, limits, start + 65 * second, reservationId, 0.2, 120);
      const now = start + 70 * second;
      const result = await admit(keyId, limits, now, 0.7);
      assert.equal(result.admitted, true);
      assert.deepEqual(await store.state(keyId, limits, now), result.state);
      assert.deepEqual(await store.state(keyId, limits, now), result.state);
      assert.deepEqual(result.state, {
        // The request at 0 s came back at 12 s; the one at 70 s takes 12 s of the window.
        requests: { limit: 5, remaining: 4, resetSeconds: 12 },
        // 120 tokens at 120 ms each, settled at 65 s: 9.4 s of the window in use at 70 s.
        tokens: { limit: 500, remaining: 421, resetSeconds: 9.4 },
        parallel: { limit: 4, active: 1 },
        budget: { limitUsd: 2, spentUsd: 0.2, reservedUsd: 0.7, period: 'daily', periodId: '2026-11-23', resetsAt: Date.UTC(2026, 10, 24) },
      });
    });

    test('50 concurrent admissions against a budget for 10 admit exactly 10', async () => {
      const keyId = randomUUID();
      const limits: KeyLimits = { budget: { usd: 1, period: 'total' } };
      const results = await Promise.all(Array.from({ length: 50 }, () => admit(keyId, limits, start, 0.1)));
      assert.equal(results.filter((result) => result.admitted).length, 10);
      assert.ok(results.every((result) => result.admitted || result.reason === 'budget'));
      assert.equal((await store.state(keyId, limits, start)).budget?.reservedUsd, 1);
    });

    test('runtime keys: saved, read back, upserted, listed oldest first', async () => {
      const older: StoredKey = {
        id: `key-${randomUUID()}`,
        hash: 'sha256:' + 'a'.repeat(64),
        alias: 'older',
        models: ['gpt-4o', 'claude-*'],
        limits: { requestsPerMinute: 60, budget: { usd: 10, period: 'monthly' } },
        expiresAt: undefined,
        revokedAt: undefined,
        createdAt: 1_000,
        metadata: { team: 'search' },
      };
      const newer: StoredKey = { ...older, id: `key-${randomUUID()}`, alias: 'newer', limits: {}, expiresAt: 5_000, revokedAt: 4_000, createdAt: 2_000, metadata: {} };
      assert.equal(await store.getKey(older.id), undefined);
      await store.saveKey(newer);
      await store.saveKey(older);
      assert.deepEqual(await store.getKey(older.id), older);
      assert.deepEqual(await store.getKey(newer.id), newer);
      const updated = { ...older, alias: 'renamed', revokedAt: 3_000 };
      await store.saveKey(updated);
      assert.deepEqual(await store.getKey(older.id), updated);
      const listed = (await store.listKeys()).filter((key) => key.id === older.id || key.id === newer.id);
      assert.deepEqual(listed, [updated, newer]);
    });
  });
}

governanceStoreContract('memory', async () => {
  const store = createMemoryGovernanceStore();
  return { store, close: () => store.close() };
});

governanceStoreContract('sqlite', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'governance-store-contract-'));
  const store = createSqliteGovernanceStore({ path: join(directory, 'gateway.db'), now: start });
  return {
    store,
    close: async () => {
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});

governanceStoreContract('redis', async () => {
  const server: RedisServer = await startRedisServer();
  const store = createRedisGovernanceStore({ url: server.url });
  return {
    store,
    close: async () => {
      await store.close();
      await server.stop();
    },
  };
});
