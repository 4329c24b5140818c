import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { cutStreamAfter, failWith, gate, settled, streamHeldUntil } from '../support/faults.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';
import { seriesValue } from '../support/prometheus-text.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

/**
 * Every way a request can end releases or settles what it holds, exactly once: Envoy
 * crashing while the store is being asked included.
 */
const PROVIDER_KEY = 'sk-provider-lifecycle';
const SOLO = 'sk-test-solo-0123456789';
const BUDGET = 'sk-test-budget-0123456789';

describe('request lifecycle through Envoy and Redis', () => {
  let redis: RedisServer;
  let proxy: TcpProxy;
  let upstream: MockOpenAIUpstream;
  let gateway: GatewayHarness;

  before(async () => {
    redis = await startRedisServer();
    proxy = await startTcpProxy(redis.port);
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    gateway = await startGateway({
      providers: { mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'MOCK_KEY' } } },
      models: { 'gpt-test': { provider: 'mock', model: 'gpt-upstream' } },
      environment: { MOCK_KEY: PROVIDER_KEY, REDIS_URL: `redis://127.0.0.1:${proxy.port}` },
      // A store call may take as long as this test holds it: the race is decided by the test, not by a timeout.
      governance: { store: 'redis', redis: { command_timeout: '60s' } },
      prices: { 'mock/gpt-upstream': { input: 1, output: 1 } },
      keys: [
        { alias: 'solo', hash: hashKeySecret(SOLO), max_parallel: 1 },
        { alias: 'budget', hash: hashKeySecret(BUDGET), max_parallel: 50, budget: { usd: 100, period: 'total' } },
      ],
    });
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
    await proxy?.close();
    await redis?.stop();
  });

  const client = (key: string) => new OpenAI({ apiKey: key, baseURL: gateway.baseURL, maxRetries: 0 });
  const ask = (key: string, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
    client(key).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], ...extra });

  test('Envoy killed while the admission is in flight: the hold is released, and the key is usable again at once', async () => {
    const forwarded = upstream.requests.length;
    proxy.hold();
    const cut = settled(ask(SOLO));
    await waitFor('the admission to reach the store', () => proxy.heldBytes > 0);
    await gateway.killEnvoy();
    assert.equal((await cut).status, 'rejected', 'the client lost its connection');
    await waitFor('the sidecar to see its streams end', async () => seriesValue(await gateway.sidecarMetrics(), 'llm_gateway_active_ext_proc_streams', { phase: 'router' }) === 0);
    proxy.release();
    await gateway.startEnvoy();
    // max_parallel is 1: a leaked slot would refuse this with 429 for the reservation's hour.
    assert.ok((await ask(SOLO)).choices.length > 0);
    assert.equal(upstream.requests.length - forwarded, 1, 'the cut request never reached the provider');
    const metrics = await gateway.sidecarMetrics();
    assert.equal(seriesValue(metrics, 'llm_gateway_active_requests', { gen_ai_request_model: 'gpt-test' }), 0);
  });

  test('a burst of finished, refused, failed and cut-short requests leaves nothing held, nothing active, no request state', async () => {
    const streamOnce = async (signal?: AbortSignal) => {
      const stream = await client(BUDGET).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50, stream: true }, { signal });
      for await (const chunk of stream) void chunk;
    };
    // Each kind in its own concurrent burst, so every request meets the answer scripted for its kind.
    upstream.respondWith(...Array.from({ length: 5 }, () => cutStreamAfter(3)));
    const cut = await Promise.all(Array.from({ length: 5 }, () => settled(streamOnce())));
    assert.ok(cut.every((result) => result.status === 'rejected'), 'streams cut by the upstream fail on the client');
    upstream.respondWith(...Array.from({ length: 5 }, () => failWith(400)));
    const failed = await Promise.all(Array.from({ length: 5 }, () => settled(ask(BUDGET, { max_tokens: 50 }))));
    assert.ok(failed.every((result) => result.status === 'rejected'));
    const whole = await Promise.all(Array.from({ length: 10 }, () => settled(ask(BUDGET, { max_tokens: 50 }))));
    assert.ok(whole.every((result) => result.status === 'fulfilled'));
    // Refused before any upstream call: an unknown model and a bad body.
    const refused = await Promise.all([settled(ask(BUDGET, { model: 'no-such-model' })), settled(ask(BUDGET, { temperature: 7 }))]);
    assert.ok(refused.every((result) => result.status === 'rejected'));
    // Clients that give up mid-stream while the provider is still answering.
    const latch = gate();
    upstream.respondWith(...Array.from({ length: 5 }, () => streamHeldUntil(latch)));
    await Promise.all(
      Array.from({ length: 5 }, () => {
        const controller = new AbortController();
        const stream = client(BUDGET).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50, stream: true }, { signal: controller.signal });
        return settled(
          (async () => {
            for await (const chunk of await stream) {
              void chunk;
              controller.abort();
            }
          })(),
        );
      }),
    );
    latch.open();

    await waitFor('every request to end', async () => seriesValue(await gateway.sidecarMetrics(), 'llm_gateway_active_requests', { gen_ai_request_model: 'gpt-test' }) === 0);
    const metrics = await gateway.sidecarMetrics();
    assert.equal(seriesValue(metrics, 'llm_gateway_request_state_entries'), 0, 'no request state is left in the sidecar');
    assert.equal(seriesValue(metrics, 'llm_gateway_active_ext_proc_streams', { phase: 'router' }), 0);
    await waitFor('the budget to hold nothing', async () => seriesValue(await gateway.sidecarMetrics(), 'llm_gateway_budget_held_usd', { key_alias: 'budget' }) === 0);
  });
});
