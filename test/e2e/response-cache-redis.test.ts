import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { assertNoSecretInLogs, startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { MOCK_REPLY_WORDS, startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';
import { seriesValue } from '../support/prometheus-text.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

/**
 * The response cache in a real Redis shared by two gateways: an answer stored through one
 * replica is a hit on the other, tenants stay apart, and a Redis that goes away turns the
 * cache off (misses) instead of failing requests.
 */
const PROVIDER_KEY = 'sk-provider-cache-redis';
const REDIS_PASSWORD = 'redis-cache-password-never-logged-4711';
const secrets = { alpha: 'sk-cache-redis-alpha-0123456789', beta: 'sk-cache-redis-beta-0123456789' };

describe('response cache in Redis, shared by two replicas', () => {
  let redis: RedisServer;
  let upstream: MockOpenAIUpstream;
  let gateways: GatewayHarness[];
  const ask = (gateway: GatewayHarness, secret: string, content: string) =>
    new OpenAI({ apiKey: secret, baseURL: gateway.baseURL, maxRetries: 0 }).chat.completions.create({ model: 'gpt-cached', temperature: 0, messages: [{ role: 'user', content }] }).withResponse();

  before(async () => {
    redis = await startRedisServer({ password: REDIS_PASSWORD });
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    const options = {
      providers: { mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'MOCK_KEY' } } },
      models: { 'gpt-cached': { provider: 'mock', model: 'gpt-upstream', cache: { ttl: '10m' } } },
      environment: { MOCK_KEY: PROVIDER_KEY, REDIS_URL: redis.url },
      governance: { mode: 'closed' },
      cache: { store: 'redis' },
      keys: [
        { alias: 'alpha', hash: hashKeySecret(secrets.alpha) },
        { alias: 'beta', hash: hashKeySecret(secrets.beta) },
      ],
    };
    gateways = [await startGateway(options), await startGateway(options)];
  });

  after(async () => {
    for (const gateway of gateways ?? []) await gateway.stop();
    await upstream?.close();
    await redis?.stop();
  });

  test('an answer stored through one replica is a hit on the other, for the same key only', async () => {
    const before = upstream.requests.length;
    const first = await ask(gateways[0]!, secrets.alpha, 'shared question');
    assert.equal(first.response.headers.get('x-gateway-cache'), 'miss');
    // Redis confirms the write after the answer has gone back; the other replica asks once it has.
    await waitFor('the answer stored', async () => seriesValue(await gateways[0]!.sidecarMetrics(), 'llm_gateway_cache_stores_total', { gen_ai_request_model: 'gpt-cached' }) === 1);
    const second = await ask(gateways[1]!, secrets.alpha, 'shared question');
    assert.equal(second.response.headers.get('x-gateway-cache'), 'hit');
    assert.equal(second.data.choices[0]!.message.content, MOCK_REPLY_WORDS.join(''));
    assert.equal(upstream.requests.length, before + 1);
    const other = await ask(gateways[1]!, secrets.beta, 'shared question');
    assert.equal(other.response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(upstream.requests.length, before + 2);
  });

  test('a Redis that is gone is a miss, never an error; the password is never logged', async () => {
    const metricsBefore = await gateways[0]!.sidecarMetrics();
    await redis.stop();
    const before = upstream.requests.length;
    const answer = await ask(gateways[0]!, secrets.alpha, 'shared question');
    assert.equal(answer.response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(answer.data.choices[0]!.message.content, MOCK_REPLY_WORDS.join(''));
    assert.equal(upstream.requests.length, before + 1);
    await waitFor('the failed lookup and store counted', async () => {
      const metrics = await gateways[0]!.sidecarMetrics();
      const errors = (operation: string) => seriesValue(metrics, 'llm_gateway_cache_store_errors_total', { operation }) - seriesValue(metricsBefore, 'llm_gateway_cache_store_errors_total', { operation });
      return errors('get') === 1 && errors('set') === 1;
    });
    for (const gateway of gateways) assertNoSecretInLogs(gateway.sidecarLogs() + gateway.envoyLogs(), { REDIS_PASSWORD, REDIS_URL: redis.url });
  });
});
