import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redactRedisUrl, redisUrlSecrets } from '../../src/stores/redact-redis-url.js';

describe('redactRedisUrl', () => {
  test('keeps scheme, host, port and database; drops user and password', () => {
    assert.equal(redactRedisUrl('redis://user:secret@redis.internal:6380/2'), 'redis://redis.internal:6380/2');
    assert.equal(redactRedisUrl('rediss://:secret@cache.example.com'), 'rediss://cache.example.com');
    assert.equal(redactRedisUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
  });

  test('an unparseable URL shows nothing of itself', () => {
    assert.equal(redactRedisUrl('not a url with secret'), 'the configured Redis URL');
  });

  test('the secrets to scrub, raw and decoded', () => {
    assert.deepEqual(redisUrlSecrets('redis://alice:p%40ss-word@host:6379').sort(), ['alice', 'p%40ss-word', 'p@ss-word']);
    assert.deepEqual(redisUrlSecrets('redis://host:6379'), []);
  });
});
