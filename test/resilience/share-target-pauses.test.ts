import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTargetPauses } from '../../src/resilience/target-pauses.js';
import { shareTargetPauses, type SharedTargetPauses } from '../../src/resilience/share-target-pauses.js';
import { waitFor } from '../support/gateway-harness.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

describe('shareTargetPauses', () => {
  let redis: RedisServer;
  const opened: SharedTargetPauses[] = [];
  const errors: string[] = [];

  before(async () => {
    redis = await startRedisServer({ password: 'pause-secret' });
  });

  after(async () => {
    await Promise.all(opened.map((shared) => shared.close()));
    await redis?.stop();
  });

  const replica = (url = redis.url) => {
    const shared = shareTargetPauses(createTargetPauses(() => performance.now()), { url, keyPrefix: 'test:', clock: Date.now, onError: (message) => errors.push(message) });
    opened.push(shared);
    return shared;
  };

  test('a pause one replica learns reaches the others, for the time left', async () => {
    const first = replica();
    const second = replica();
    // Subscriptions complete asynchronously: publish until the other replica has heard one.
    await waitFor('the second replica to hear the pause', () => {
      first.pause('chain#0', 20_000);
      return second.remaining('chain#0') > 0;
    });
    assert.ok(second.remaining('chain#0') <= 20_000);
    assert.ok(second.remaining('chain#0') > 15_000, `${second.remaining('chain#0')} ms left`);
    assert.equal(second.remaining('chain#1'), 0, 'only that target');
  });

  test('a Redis that cannot be reached leaves pauses local, and its credentials out of the error', async () => {
    const lonely = replica('redis://:pause-secret@127.0.0.1:1');
    lonely.pause('solo#0', 5_000);
    assert.ok(lonely.remaining('solo#0') > 0);
    await waitFor('an error report', () => errors.length > 0);
    assert.ok(errors.every((message) => !message.includes('pause-secret')), errors.join('\n'));
  });
});
