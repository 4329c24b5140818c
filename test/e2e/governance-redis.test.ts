import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { freePort } from '../support/free-port.js';
import { gate, heldUntil, settled } from '../support/faults.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

/**
 * Many replicas, one view: two complete gateways (each an Envoy with its own sidecar)
 * share a real Redis, and one budget and one rate limit hold across both. And when Redis
 * is gone, the configured policy holds, nothing crashes, and no credential leaks.
 */
const PROVIDER_KEY = 'sk-provider-redis';
const REDIS_PASSWORD = 'redis-password-never-logged-4711';
const secrets = { rated: 'sk-redis-rated-0123456789', budget: 'sk-redis-budget-0123456789' };
const OUTPUT_USD_PER_TOKEN = 0.001;

function gatewayOptions(upstreamPort: number, redisUrl: string, onUnavailable: 'deny' | 'allow' = 'deny') {
  return {
    providers: { mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstreamPort}/v1`, credential: { env: 'MOCK_KEY' } } },
    models: { 'gpt-test': { provider: 'mock', model: 'gpt-upstream' } },
    environment: { MOCK_KEY: PROVIDER_KEY, REDIS_URL: redisUrl },
    governance: { store: 'redis', redis: { on_unavailable: onUnavailable } },
    prices: { 'mock/gpt-upstream': { input: 0, output: OUTPUT_USD_PER_TOKEN * 1e6 } },
    keys: [
      { alias: 'rated', hash: hashKeySecret(secrets.rated), requests_per_minute: 4 },
      { alias: 'budget', hash: hashKeySecret(secrets.budget), budget: { usd: 6, period: 'total' } },
    ],
  };
}

describe('two gateways sharing one Redis', () => {
  let redis: RedisServer;
  let upstream: MockOpenAIUpstream;
  let gateways: GatewayHarness[];

  before(async () => {
    redis = await startRedisServer({ password: REDIS_PASSWORD });
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    gateways = [await startGateway(gatewayOptions(upstream.port, redis.url)), await startGateway(gatewayOptions(upstream.port, redis.url))];
  });

  after(async () => {
    for (const gateway of gateways ?? []) await gateway.stop();
    await upstream?.close();
    await redis?.stop();
  });

  const ask = (gateway: GatewayHarness, secret: string, maxTokens?: number) =>
    new OpenAI({ apiKey: secret, baseURL: gateway.baseURL, maxRetries: 0 }).chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      ...(maxTokens ? { max_tokens: maxTokens } : {}),
    });

  test('one rate limit: 4 requests a minute across both replicas, the fifth refused wherever it lands', async () => {
    for (let index = 0; index < 4; index += 1) await ask(gateways[index % 2]!, secrets.rated);
    for (const gateway of gateways) {
      await assert.rejects(ask(gateway, secrets.rated), (error: unknown) => error instanceof OpenAI.RateLimitError && /'rated': 4 requests per minute/.test(error.message));
    }
  });

  test('one budget: 30 concurrent requests split over both replicas, a budget that holds 6, exactly 6 reach the upstream', async () => {
    const before = upstream.requests.length;
    // Admitted requests wait at the upstream until all 30 are decided: no settlement frees room early.
    const latch = gate();
    upstream.respondWith(...Array.from({ length: 30 }, () => heldUntil(latch)));
    let decided = 0;
    // max_tokens 1000 at $0.001 reserves exactly $1.00 a request.
    const pending = Array.from({ length: 30 }, (_, index) => settled(ask(gateways[index % 2]!, secrets.budget, 1000), () => (decided += 1)));
    await waitFor('every request to be refused or forwarded', () => decided + (upstream.requests.length - before) === 30);
    latch.open();
    const results = await Promise.all(pending);
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 6);
    assert.equal(upstream.requests.length - before, 6);
    for (const result of results) {
      if (result.status === 'rejected') assert.ok(result.reason instanceof OpenAI.APIError && result.reason.status === 402, String(result.reason));
    }
  });

  test('no credential, Redis password included, appears in any log line', () => {
    const logs = gateways.map((gateway) => gateway.sidecarLogs() + gateway.envoyLogs()).join('');
    for (const secret of [...Object.values(secrets), PROVIDER_KEY, REDIS_PASSWORD]) assert.ok(!logs.includes(secret));
  });
});

describe('Redis unreachable', () => {
  let upstream: MockOpenAIUpstream;
  let denying: GatewayHarness;
  let allowing: GatewayHarness;

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    const deadRedis = `redis://:${REDIS_PASSWORD}@127.0.0.1:${await freePort()}`;
    denying = await startGateway(gatewayOptions(upstream.port, deadRedis, 'deny'));
    allowing = await startGateway(gatewayOptions(upstream.port, deadRedis, 'allow'));
  });

  after(async () => {
    await denying?.stop();
    await allowing?.stop();
    await upstream?.close();
  });

  test('deny (the default): a clear 503, nothing forwarded, the sidecar stays up', async () => {
    const before = upstream.requests.length;
    await assert.rejects(new OpenAI({ apiKey: secrets.rated, baseURL: denying.baseURL, maxRetries: 0 }).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.InternalServerError);
      assert.equal(error.status, 503);
      assert.equal(error.code, 'governance_store_unavailable');
      assert.match(error.message, /limit store is unreachable/);
      assert.ok(!error.message.includes(REDIS_PASSWORD));
      return true;
    });
    assert.equal(upstream.requests.length, before);
    assert.equal((await fetch(`http://127.0.0.1:${denying.sidecarAdminPort}/healthz`)).status, 200, 'no crash');
  });

  test('allow: requests with a declared key are served without limits', async () => {
    // The key allows 4 requests a minute; with the store unreachable and the policy allow, nothing counts them.
    const client = new OpenAI({ apiKey: secrets.rated, baseURL: allowing.baseURL, maxRetries: 0 });
    const before = upstream.requests.length;
    for (let index = 0; index < 6; index += 1) {
      const completion = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] });
      assert.ok(completion.choices.length > 0);
    }
    assert.equal(upstream.requests.length - before, 6);
  });

  test('no credential appears in any log line, the Redis password included', async () => {
    await waitFor('the store errors to be logged', () => denying.sidecarLogs().includes('governance store failed'));
    const logs = [denying, allowing].map((gateway) => gateway.sidecarLogs() + gateway.envoyLogs()).join('');
    for (const secret of [...Object.values(secrets), PROVIDER_KEY, REDIS_PASSWORD]) assert.ok(!logs.includes(secret), 'a secret is in a log line');
  });
});
