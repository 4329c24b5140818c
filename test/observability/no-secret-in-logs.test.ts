import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertNoSecretInLogs, ProcessOutput } from '../support/gateway-harness.js';

/** The check every e2e gateway runs on its logs when it stops must itself catch a leak. */
describe('assertNoSecretInLogs', () => {
  test('finds a configured secret, or the password inside a URL, and names the variable', () => {
    assert.throws(() => assertNoSecretInLogs('... Bearer sk-provider-123456 ...', { OPENAI_API_KEY: 'sk-provider-123456' }), /OPENAI_API_KEY/);
    assert.throws(() => assertNoSecretInLogs('auth failed: hunter2-password', { REDIS_URL: 'redis://:hunter2-password@127.0.0.1:6379' }), /REDIS_URL/);
  });

  test('passes clean logs, and does not count a password-free URL as a secret', () => {
    assertNoSecretInLogs('{"msg":"connecting to redis://127.0.0.1:6379"}', { REDIS_URL: 'redis://127.0.0.1:6379', KEY: 'sk-provider-123456' });
  });

  test('a tail-only log (benchmarks) still catches a secret, even one split across two chunks, and keeps only the tail', () => {
    const output = new ProcessOutput(false, { KEY: 'sk-provider-123456' });
    output.append(Buffer.from('x'.repeat(100_000)));
    output.append(Buffer.from('... Bearer sk-provi'));
    output.append(Buffer.from('der-123456 ...'));
    output.append(Buffer.from('y'.repeat(100_000)));
    assert.ok(output.text.length <= 64 * 1024);
    assert.ok(!output.text.includes('sk-provider'), 'the secret scrolled out of the tail');
    assert.throws(() => output.assertNoSecret(), /KEY/);
    const clean = new ProcessOutput(false, { KEY: 'sk-provider-123456' });
    clean.append(Buffer.from('all good'));
    clean.assertNoSecret();
  });
});
