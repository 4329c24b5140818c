import assert from 'node:assert/strict';
import { test } from 'node:test';
import { upstreamRequestMutation } from '../../src/extproc/upstream-request-mutation.js';

const setOf = (mutation: ReturnType<typeof upstreamRequestMutation>) =>
  Object.fromEntries((mutation.set_headers ?? []).map((option) => [option.header.key, option.header.raw_value.toString()]));

test("a provider's path and headers are set, uncompressed answers asked for, and every other provider's credential cleared", () => {
  const mutation = upstreamRequestMutation({ path: '/v1/messages', headers: { 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01' }, body: Buffer.from('{}') });
  assert.deepEqual(setOf(mutation), { ':path': '/v1/messages', 'accept-encoding': 'identity', 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01' });
  // What this provider sets is not also removed (Envoy would apply both).
  assert.deepEqual(mutation.remove_headers, ['authorization', 'api-key', 'x-goog-api-key', 'anthropic-beta']);
  for (const option of mutation.set_headers!) assert.equal(option.append_action, 'OVERWRITE_IF_EXISTS_OR_ADD');
});

test('extra headers (the routing header, content-length) are set alongside the provider ones', () => {
  const mutation = upstreamRequestMutation({ path: '/v1/chat/completions', headers: { authorization: 'Bearer sk' }, body: Buffer.from('{}') }, { 'x-gateway-route': 'model_m', 'content-length': '2' });
  const set = setOf(mutation);
  assert.equal(set['x-gateway-route'], 'model_m');
  assert.equal(set['content-length'], '2');
  assert.ok(!mutation.remove_headers!.includes('authorization'));
});
