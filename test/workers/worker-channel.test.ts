import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { createMemoryGovernanceStore } from '../../src/stores/memory-governance-store.js';
import { StoreUnavailableError } from '../../src/stores/governance-store.js';
import { createIpcGovernanceStore, type STORE_METHODS, storeErrorOf } from '../../src/workers/ipc-governance-store.js';
import { answerWorkerCall, PrimaryChannel } from '../../src/workers/worker-channel.js';

/** A worker's IPC endpoint wired to a primary answering with `handle`, through structured clone as Node's advanced serialization does. */
function linked(handle: (method: string, args: readonly unknown[]) => Promise<unknown>) {
  const worker = new EventEmitter() as EventEmitter & { send(message: unknown): boolean };
  const seen: unknown[] = [];
  worker.send = (message) => {
    seen.push(message);
    setImmediate(() => answerWorkerCall(structuredClone(message), handle, (reply) => setImmediate(() => worker.emit('message', structuredClone(reply)))));
    return true;
  };
  return { channel: new PrimaryChannel(worker, storeErrorOf), seen };
}

describe('worker channel', () => {
  test('a call resolves with the primary\'s answer; concurrent calls get their own', async () => {
    const { channel } = linked(async (method, args) => `${method}:${String(args[0])}`);
    assert.deepEqual(await Promise.all([channel.call('a', [1]), channel.call('b', [2])]), ['a:1', 'b:2']);
  });

  test('a failure keeps its name: a store the primary cannot reach is still StoreUnavailableError (on_unavailable applies)', async () => {
    const { channel } = linked(async () => {
      throw new StoreUnavailableError('redis down');
    });
    await assert.rejects(channel.call('store.admit', []), (error: unknown) => error instanceof StoreUnavailableError && error.message === 'redis down');
  });

  test('no IPC channel: the call fails at once rather than waiting forever', async () => {
    const channel = new PrimaryChannel({ on: () => undefined }, storeErrorOf);
    await assert.rejects(channel.call('metrics', []), /cannot be reached/);
  });

  test('the IPC governance store counts in the primary\'s store: two workers share one key\'s limits', async () => {
    const primaryStore = createMemoryGovernanceStore();
    const handle = async (method: string, args: readonly unknown[]) => {
      const name = method.slice('store.'.length) as (typeof STORE_METHODS)[number];
      return (primaryStore[name] as (...parameters: unknown[]) => Promise<unknown>)(...args);
    };
    const [first, second] = [createIpcGovernanceStore(linked(handle).channel), createIpcGovernanceStore(linked(handle).channel)];
    const limits = { requestsPerMinute: 1 };
    const request = (reservationId: string) => ({ keyId: 'k1', now: 1_000, limits, reservationId, reservationUsd: 0, reservationTtlMs: 60_000 });
    const admitted = await first.admit(request('r1'));
    assert.equal(admitted.admitted, true);
    const refused = await second.admit(request('r2'));
    assert.equal(refused.admitted, false, 'the other worker sees the first one\'s request');
    const key = { id: 'k2', hash: 'sha256:00', alias: 'two', models: [], limits: {}, expiresAt: undefined, revokedAt: undefined, createdAt: 1, metadata: {} };
    await first.saveKey(key as never);
    assert.deepEqual(await second.getKey('k2'), key, 'undefined fields survive the trip');
  });
});
