import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cacheKey, canonicalRequest } from '../../src/cache/cache-key.js';
import { cacheDirectiveOf, isDeterministic } from '../../src/cache/cache-directive.js';

const base = { scope: 'key:config:a', endpoint: 'chat.completions', model: 'gpt-test' };
const request = { model: 'gpt-test', temperature: 0, messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 };
const keyOf = (body: unknown, overrides: Partial<typeof base> = {}) => cacheKey({ ...base, ...overrides, request: body });

describe('cache key', () => {
  test('key order and whitespace of the client JSON do not change the key', () => {
    const reordered = JSON.parse('{ "max_tokens": 20,\n  "messages": [ { "content": "hi", "role": "user" } ], "temperature": 0, "model": "gpt-test" }');
    assert.equal(keyOf(reordered), keyOf(request));
  });

  test('transport-only fields (stream, stream_options, user, metadata.user_id) do not change the key', () => {
    const streamed = { ...request, stream: true, stream_options: { include_usage: true }, user: 'end-user-42' };
    assert.equal(keyOf(streamed), keyOf(request));
    assert.equal(keyOf({ ...request, metadata: { user_id: 'u1' } }), keyOf({ ...request, metadata: { user_id: 'u2' } }));
    assert.equal(canonicalRequest({ ...request, metadata: { user_id: 'u1' } }), canonicalRequest(request));
  });

  test('fields that change the answer change the key', () => {
    const variants: unknown[] = [
      { ...request, messages: [{ role: 'user', content: 'hi!' }] },
      { ...request, temperature: 0.5 },
      { ...request, seed: 1 },
      { ...request, max_tokens: 21 },
      { ...request, tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] },
      { ...request, metadata: { user_id: 'u1', tag: 'x' } },
      { ...request, n: 2 },
    ];
    const keys = new Set([keyOf(request), ...variants.map((variant) => keyOf(variant))]);
    assert.equal(keys.size, variants.length + 1);
  });

  test('tenant scope, endpoint and model alias are part of the key', () => {
    assert.notEqual(keyOf(request, { scope: 'key:config:b' }), keyOf(request));
    assert.notEqual(keyOf(request, { scope: 'global' }), keyOf(request));
    assert.notEqual(keyOf(request, { endpoint: 'messages' }), keyOf(request));
    assert.notEqual(keyOf(request, { model: 'gpt-other' }), keyOf(request));
  });

  test('parts cannot run into each other', () => {
    assert.notEqual(cacheKey({ scope: 'ab', endpoint: 'c', model: 'm', request }), cacheKey({ scope: 'a', endpoint: 'bc', model: 'm', request }));
  });
});

describe('cache directive', () => {
  test('Cache-Control and x-gateway-cache', () => {
    assert.equal(cacheDirectiveOf({}), 'use');
    assert.equal(cacheDirectiveOf({ 'cache-control': 'no-cache' }), 'refresh');
    assert.equal(cacheDirectiveOf({ 'cache-control': 'max-age=0, No-Store' }), 'bypass');
    assert.equal(cacheDirectiveOf({ 'x-gateway-cache': 'bypass' }), 'bypass');
  });

  test('deterministic: temperature 0 or a seed', () => {
    assert.equal(isDeterministic({ temperature: 0 }), true);
    assert.equal(isDeterministic({ seed: 7, temperature: 1 }), true);
    assert.equal(isDeterministic({ temperature: 0.2 }), false);
    assert.equal(isDeterministic({}), false);
  });
});
