import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { failWith } from '../support/faults.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { MOCK_REPLY_WORDS, startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

/**
 * A pause the sidecar knows before Envoy does: two replicas share their pauses through Redis,
 * so the second replica's sidecar learns of the first one's pause at once, while its Envoy
 * still holds the target healthy until its next health check (every 5 s). A request to the
 * second replica in that window must go to the next level, not fail on the paused target:
 * the race a single replica has for the few milliseconds a failed health check takes to
 * reach Envoy's workers, made deterministic.
 */
const KEY_A = 'sk-shared-pause-a';
const KEY_B = 'sk-shared-pause-b';
const PAUSED_TARGET = 'chain#0';
const CLIENT_KEY = 'sk-shared-pause-client-0123456789';

describe('a pause the sidecar knows before Envoy does', () => {
  let redis: RedisServer;
  let primary: MockOpenAIUpstream;
  let secondary: MockOpenAIUpstream;
  let gateways: GatewayHarness[];

  before(async () => {
    redis = await startRedisServer({});
    primary = await startMockOpenAIUpstream({ expectedKey: KEY_A });
    secondary = await startMockOpenAIUpstream({ expectedKey: KEY_B });
    const options = {
      providers: {
        a: { kind: 'openai', base_url: `http://127.0.0.1:${primary.port}/v1`, credential: { env: 'KEY_A' } },
        b: { kind: 'openai', base_url: `http://127.0.0.1:${secondary.port}/v1`, credential: { env: 'KEY_B' } },
      },
      models: { chain: { fallback: [{ provider: 'a', model: 'model-a' }, { provider: 'b', model: 'model-b' }] } },
      environment: { KEY_A, KEY_B, REDIS_URL: redis.url },
      governance: { store: 'redis' },
      keys: [{ alias: 'client', hash: hashKeySecret(CLIENT_KEY) }],
      resilience: { attempts_per_level: 2, max_attempts: 4, backoff_base: '10ms', backoff_max: '50ms', retry_after_max: '5s' },
    };
    gateways = [await startGateway(options), await startGateway(options)];
  });

  after(async () => {
    for (const gateway of gateways ?? []) await gateway.stop();
    await Promise.all([primary?.close(), secondary?.close()]);
    await redis?.stop();
  });

  const ask = (gateway: GatewayHarness) =>
    new OpenAI({ apiKey: CLIENT_KEY, baseURL: gateway.baseURL, maxRetries: 0 }).chat.completions.create({ model: 'chain', messages: [{ role: 'user', content: 'hi' }] });

  test('the next level answers at once, and the paused provider hears nothing', async () => {
    primary.respondWith(failWith(429, { 'retry-after': '30' }));
    const [first, second] = gateways as [GatewayHarness, GatewayHarness];
    assert.equal((await ask(first)).choices[0]?.message.content, MOCK_REPLY_WORDS.join(''));
    assert.equal(primary.requests.length, 1);
    // The second replica's sidecar now holds the pause (its target health check fails) ...
    await waitFor('the pause to reach the second replica', async () => (await targetHealth(second, PAUSED_TARGET)) === 503);
    // ... while its Envoy, whose last check of the target passed, still counts it healthy.
    const answer = await ask(second);
    assert.equal(answer.choices[0]?.message.content, MOCK_REPLY_WORDS.join(''));
    assert.equal(primary.requests.length, 1, 'nothing reached the paused provider');
    assert.equal(secondary.requests.length, 2);
  });
});

/** The status of the sidecar's health check of one target (what Envoy's active health check sees). */
function targetHealth(gateway: GatewayHarness, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = request({ host: '127.0.0.1', port: gateway.sidecarAdminPort, path: '/healthz/target', headers: { host: target } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    sent.on('error', reject);
    sent.end();
  });
}
