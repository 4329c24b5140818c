import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { startGateway, type GatewayHarness } from '../support/gateway-harness.js';
import { MOCK_REPLY_WORDS, startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

/**
 * With the default governance store (SQLite), the in-memory response cache is copied to its
 * own SQLite file: after the sidecar stops and starts again, a stored answer is still served
 * through Envoy without the provider, to its own tenant only.
 */
const PROVIDER_KEY = 'sk-provider-cache-restart';
const secrets = { alpha: 'sk-test-cache-restart-alpha-0123456789', beta: 'sk-test-cache-restart-beta-0123456789' };

/** A gateway with one cached model and two keys; `cache` is the top-level cache section. */
function setUp(cache?: Record<string, unknown>) {
  const state = {} as { upstream: MockOpenAIUpstream; gateway: GatewayHarness };
  before(async () => {
    state.upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    state.gateway = await startGateway({
      providers: { mock: { kind: 'openai', base_url: `http://127.0.0.1:${state.upstream.port}/v1`, credential: { env: 'MOCK_KEY' } } },
      models: { 'gpt-cached': { provider: 'mock', model: 'gpt-upstream', cache: { ttl: '10m' } } },
      environment: { MOCK_KEY: PROVIDER_KEY },
      keys: [
        { alias: 'alpha', hash: hashKeySecret(secrets.alpha) },
        { alias: 'beta', hash: hashKeySecret(secrets.beta) },
      ],
      ...(cache === undefined ? {} : { cache }),
    });
  });
  after(async () => {
    await state.gateway?.stop();
    await state.upstream?.close();
  });
  const ask = (secret: string) =>
    new OpenAI({ apiKey: secret, baseURL: state.gateway.baseURL, maxRetries: 0 }).chat.completions.create({ model: 'gpt-cached', messages: [{ role: 'user', content: 'kept across restarts?' }], temperature: 0 }).withResponse();
  return { state, ask };
}

describe('a restart of the sidecar keeps the response cache (default SQLite store)', () => {
  const { state, ask } = setUp();

  test('an answer stored before a restart is a hit after it, and still only for its key', async () => {
    const first = await ask(secrets.alpha);
    assert.equal(first.response.headers.get('x-gateway-cache'), 'miss');
    const { gateway, upstream } = state;
    const sent = upstream.requests.length;

    // A graceful stop (what a rollout sends) writes what the journal still had pending.
    await gateway.killSidecar('SIGTERM');
    await gateway.startSidecar();

    const second = await ask(secrets.alpha);
    assert.equal(second.response.headers.get('x-gateway-cache'), 'hit');
    assert.equal(second.data.choices[0]!.message.content, MOCK_REPLY_WORDS.join(''));
    assert.equal(upstream.requests.length, sent, 'the hit after the restart never reached the provider');
    const other = await ask(secrets.beta);
    assert.equal(other.response.headers.get('x-gateway-cache'), 'miss', "another key never gets alpha's answer");
    assert.equal(upstream.requests.length, sent + 1);
  });
});

describe('with cache.persist: false the cache starts empty after a restart', () => {
  const { state, ask } = setUp({ persist: false });

  test('the same request after a restart reaches the provider again', async () => {
    assert.equal((await ask(secrets.alpha)).response.headers.get('x-gateway-cache'), 'miss');
    assert.equal((await ask(secrets.alpha)).response.headers.get('x-gateway-cache'), 'hit');
    await state.gateway.killSidecar('SIGTERM');
    await state.gateway.startSidecar();
    const sent = state.upstream.requests.length;
    assert.equal((await ask(secrets.alpha)).response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(state.upstream.requests.length, sent + 1);
  });
});
