import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configurationSchema } from '../../src/config/schema.js';

const base = {
  providers: { mock: { kind: 'openai', base_url: 'http://127.0.0.1:9/v1' } },
  models: { m: { provider: 'mock', model: 'x', guardrails: ['pii'] } },
};

test('guardrails: declared ones are accepted with their defaults', () => {
  const parsed = configurationSchema.parse({ ...base, guardrails: { pii: { type: 'pii', action: 'mask' } } });
  assert.deepEqual(parsed.guardrails.pii, { type: 'pii', action: 'mask', detectors: ['email', 'phone', 'card', 'iban', 'ssn', 'ip', 'secret'], phone_region: 'US' });
});

test('guardrails: an unknown name, action or regular expression fails at start, naming where', () => {
  const unknown = configurationSchema.safeParse({ ...base, guardrails: {} });
  assert.equal(unknown.success, false);
  assert.deepEqual(unknown.error!.issues[0]!.path, ['models', 'm', 'guardrails', 0]);
  assert.match(unknown.error!.issues[0]!.message, /no guardrail named 'pii'/);
  const keyed = configurationSchema.safeParse({ ...base, guardrails: { pii: { type: 'pii', action: 'mask' } }, keys: [{ alias: 'a', hash: `sha256:${'0'.repeat(64)}`, guardrails: ['nope'] }] });
  assert.deepEqual(keyed.error!.issues[0]!.path, ['keys', 0, 'guardrails', 0]);
  assert.equal(configurationSchema.safeParse({ ...base, guardrails: { pii: { type: 'prompt_injection', action: 'mask' } } }).success, false, 'injection cannot mask');
  const regex = configurationSchema.safeParse({ ...base, guardrails: { pii: { type: 'deny_list', action: 'block', patterns: ['('] } } });
  assert.match(regex.error!.issues[0]!.message, /valid JavaScript regular expression/);
});
