import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { KeyLimits, StoredKey } from '../../src/stores/governance-store.js';
import { createSqliteGovernanceStore } from '../../src/stores/sqlite-governance-store.js';

const start = Date.UTC(2026, 10, 23, 12, 0, 0);
const hour = 60 * 60_000;

describe('SQLite governance store', () => {
  const directory = mkdtempSync(join(tmpdir(), 'sqlite-governance-store-'));
  after(() => rmSync(directory, { recursive: true, force: true }));

  function newPath(): string {
    return join(directory, randomUUID(), 'nested', 'gateway.db');
  }

  test('keys, revocations, spend, budgets and rate-limit buckets are all there after the file is reopened', async () => {
    const path = newPath();
    const keyId = `key-${randomUUID()}`;
    const limits: KeyLimits = { requestsPerMinute: 10, tokensPerMinute: 1000, budget: { usd: 5, period: 'monthly' } };
    const key: StoredKey = {
      id: keyId,
      hash: 'sha256:' + 'b'.repeat(64),
      alias: 'ci',
      models: ['gpt-4o'],
      limits,
      expiresAt: undefined,
      revokedAt: undefined,
      createdAt: start,
      metadata: { team: 'search' },
    };
    const first = createSqliteGovernanceStore({ path, now: start });
    assert.ok(existsSync(path), 'the directory is created with the file');
    await first.saveKey(key);
    await first.saveKey({ ...key, revokedAt: start + 1 });
    const reservationId = randomUUID();
    assert.equal((await first.admit({ keyId, now: start, limits, reservationId, reservationUsd: 1, reservationTtlMs: hour })).admitted, true);
    await first.settle({ keyId, now: start + 1000, limits, reservationId, costUsd: 0.25, tokens: 120, model: 'gpt-4o' });
    const before = await first.state(keyId, limits, start + 2000);
    await first.close();

    const second = createSqliteGovernanceStore({ path, now: start + 2000 });
    try {
      assert.deepEqual(await second.getKey(keyId), { ...key, revokedAt: start + 1 });
      assert.deepEqual((await second.listKeys()).map((stored) => stored.id), [keyId]);
      assert.deepEqual(await second.spend(keyId, '2026-11-23', '2026-11-23'), [{ day: '2026-11-23', model: 'gpt-4o', usd: 0.25, tokens: 120, requests: 1, unpricedRequests: 0 }]);
      const afterRestart = await second.state(keyId, limits, start + 2000);
      assert.deepEqual(afterRestart, before);
      assert.equal(afterRestart.budget?.spentUsd, 0.25);
      assert.equal(afterRestart.requests?.remaining, 9);
      assert.equal(afterRestart.tokens?.remaining, 896, '120 tokens at 60 ms each, 1 s of them refilled');
      // A settle retried after the restart is still recognised as the same one.
      await second.settle({ keyId, now: start + 3000, limits, reservationId, costUsd: 0.25, tokens: 120, model: 'gpt-4o' });
      assert.equal((await second.state(keyId, limits, start + 3000)).budget?.spentUsd, 0.25);
    } finally {
      await second.close();
    }
  });

  test('reservations left by a process that died are released when the file is opened again', async () => {
    const path = newPath();
    const keyId = randomUUID();
    const limits: KeyLimits = { maxParallel: 1, budget: { usd: 1, period: 'total' } };
    const crashed = createSqliteGovernanceStore({ path, now: start });
    assert.equal((await crashed.admit({ keyId, now: start, limits, reservationId: randomUUID(), reservationUsd: 0.9, reservationTtlMs: hour })).admitted, true);
    const held = await crashed.state(keyId, limits, start);
    assert.deepEqual([held.parallel?.active, held.budget?.reservedUsd], [1, 0.9]);
    // The process "dies": its requests can never settle. Closing is only what frees the file's lock here.
    await crashed.close();

    const restarted = createSqliteGovernanceStore({ path, now: start + 1000 });
    try {
      const state = await restarted.state(keyId, limits, start + 1000);
      assert.deepEqual(state.parallel, { limit: 1, active: 0 });
      assert.equal(state.budget?.reservedUsd, 0);
      assert.equal((await restarted.admit({ keyId, now: start + 1000, limits, reservationId: randomUUID(), reservationUsd: 1, reservationTtlMs: hour })).admitted, true);
    } finally {
      await restarted.close();
    }
  });

  test('a second store on the same file is refused while the first has it open', async () => {
    const path = newPath();
    const first = createSqliteGovernanceStore({ path, now: start });
    try {
      assert.throws(() => createSqliteGovernanceStore({ path, now: start }), (error: unknown) => (error as { code?: string }).code === 'SQLITE_BUSY');
      await first.saveKey({ id: 'k', hash: 'sha256:x', alias: 'a', models: [], limits: {}, expiresAt: undefined, revokedAt: undefined, createdAt: 1, metadata: {} });
      assert.equal((await first.getKey('k'))?.alias, 'a', 'the refused open changed nothing for the first');
    } finally {
      await first.close();
    }
    const reopened = createSqliteGovernanceStore({ path, now: start });
    await reopened.close();
  });

  test('a file written by a newer schema is refused, not misread', () => {
    const path = newPath();
    createSqliteGovernanceStore({ path, now: start }).close();
    const raw = new BetterSqlite3(path);
    raw.pragma('user_version = 99');
    raw.close();
    assert.throws(() => createSqliteGovernanceStore({ path, now: start }), /schema version 99, written by a newer gateway/);
  });
});
