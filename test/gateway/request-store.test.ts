import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RequestStore } from '../../src/gateway/request-store.js';

describe('RequestStore', () => {
  test('entries expire after the TTL and the size is bounded', () => {
    let now = 0;
    const store = new RequestStore<string>({ ttlMs: 100, maxEntries: 2, now: () => now });
    assert.ok(store.put('a', 'A'));
    assert.ok(store.put('b', 'B'));
    assert.equal(store.put('c', 'C'), false, 'full');
    assert.equal(store.get('a'), 'A');
    now = 100;
    assert.equal(store.get('a'), undefined, 'expired');
    assert.ok(store.put('c', 'C'), 'expired entries make room');
    assert.equal(store.sweep(), 1, 'b had expired too');
    assert.equal(store.size, 1);
    store.delete('c');
    assert.equal(store.size, 0);
  });
});
