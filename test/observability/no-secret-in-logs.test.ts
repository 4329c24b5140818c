import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertNoSecretInLogs } from '../support/gateway-harness.js';

/** The check every e2e gateway runs on its logs when it stops must itself catch a leak. */
describe('assertNoSecretInLogs', () => {
  test('finds a configured secret, or the password inside a URL, and names the variable', () => {
    assert.throws(() => assertNoSecretInLogs('... Bearer sk-provider-123456 ...', { OPENAI_API_KEY: 'sk-provider-123456' }), /OPENAI_API_KEY/);
    assert.throws(() => assertNoSecretInLogs('auth failed: hunter2-password', { REDIS_URL: 'redis://:hunter2-password@127.0.0.1:6379' }), /REDIS_URL/);
  });

  test('passes clean logs, and does not count a password-free URL as a secret', () => {
    assertNoSecretInLogs('{"msg":"connecting to redis://127.0.0.1:6379"}', { REDIS_URL: 'redis://127.0.0.1:6379', KEY: 'sk-provider-123456' });
  });
});
