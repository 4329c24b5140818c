import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { afterRequest, afterTokens, bucketHasRoom, bucketState, secondsUntilRoom } from '../../src/stores/rate-bucket.js';

const start = Date.UTC(2026, 10, 23, 12, 0, 0);
const at = (seconds: number) => start + seconds * 1000;

describe('rate bucket', () => {
  test('a limit of L holds L at once, and each comes back after 60 s / L', () => {
    let tat: number | undefined;
    for (let index = 0; index < 7; index += 1) {
      assert.ok(bucketHasRoom(tat, 7, at(0), 'requests'), `request ${index + 1} of 7, despite 60000 / 7 not being exact`);
      tat = afterRequest(tat, 7, at(0));
    }
    assert.equal(bucketHasRoom(tat, 7, at(0), 'requests'), false);
    const state = bucketState(tat, 7, at(0));
    assert.equal(state.remaining, 0);
    // Seven intervals of 8571.43 ms, added to a time near 1.8e12 ms: 60 s to within a microsecond.
    assert.ok(Math.abs(state.resetSeconds - 60) < 1e-6, String(state.resetSeconds));
    // One comes back after 8.57 s: the wait is the true one, rounded up to whole seconds.
    assert.equal(secondsUntilRoom(tat, 7, at(0), 'requests'), 9);
    assert.equal(bucketHasRoom(tat, 7, at(60 / 7), 'requests'), true);
  });

  test('retry-after is never more than the window, however the limit was used', () => {
    for (const limit of [1, 3, 100]) {
      let tat: number | undefined;
      while (bucketHasRoom(tat, limit, at(0), 'requests')) tat = afterRequest(tat, limit, at(0));
      const wait = secondsUntilRoom(tat, limit, at(0), 'requests')!;
      assert.equal(wait, Math.max(1, Math.ceil(60 / limit)), `limit ${limit}`);
      assert.ok(wait <= 60);
    }
    const flooded = afterTokens(undefined, 10, at(0), 1_000_000);
    assert.equal(secondsUntilRoom(flooded, 10, at(0), 'tokens'), 60);
    assert.equal(bucketHasRoom(flooded, 10, at(60), 'tokens'), true);
  });

  test('a time in the past is a full bucket, and a limit of 0 never has room', () => {
    assert.deepEqual(bucketState(at(-5), 10, at(0)), { limit: 10, remaining: 10, resetSeconds: 0 });
    assert.equal(bucketHasRoom(undefined, 0, at(0), 'requests'), false);
    assert.equal(secondsUntilRoom(undefined, 0, at(0), 'tokens'), undefined);
    assert.deepEqual(bucketState(undefined, 0, at(0)), { limit: 0, remaining: 0, resetSeconds: 60 });
  });
});
