import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import OpenAI from 'openai';
import { failWith } from '../support/faults.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

/**
 * Envoy's outlier detection on a fallback chain: a target that keeps failing is ejected,
 * skipped while ejected, and tried again once the ejection ends. The two halves run on two
 * gateways with different ejection times, so neither depends on how fast the machine is:
 * one is long enough that "skipped" cannot be an accident of timing, the other short
 * enough to watch the target come back.
 */
const KEY_E = 'sk-ejectable-e';
const KEY_B = 'sk-backup-b';

async function ejectingGateway(baseEjectionTime: string): Promise<{ gateway: GatewayHarness; ejectable: MockOpenAIUpstream; backup: MockOpenAIUpstream }> {
  const ejectable = await startMockOpenAIUpstream({ expectedKey: KEY_E });
  const backup = await startMockOpenAIUpstream({ expectedKey: KEY_B });
  const gateway = await startGateway({
    providers: {
      e: { kind: 'openai', base_url: `http://127.0.0.1:${ejectable.port}/v1`, credential: { env: 'KEY_E' } },
      b: { kind: 'openai', base_url: `http://127.0.0.1:${backup.port}/v1`, credential: { env: 'KEY_B' } },
    },
    models: { ejecting: { fallback: [{ provider: 'e', model: 'model-e' }, { provider: 'b', model: 'model-b' }] } },
    environment: { KEY_E, KEY_B },
    // One try per level: a request never retries the failing endpoint itself, so no retry can
    // race Envoy's ejection (which its main thread applies a moment after the failure counts).
    resilience: {
      attempts_per_level: 1,
      max_attempts: 2,
      backoff_base: '10ms',
      backoff_max: '50ms',
      outlier_detection: { consecutive_5xx: 3, consecutive_gateway_failure: 3, interval: '200ms', base_ejection_time: baseEjectionTime },
    },
  });
  return { gateway, ejectable, backup };
}

function ask(gateway: GatewayHarness) {
  return new OpenAI({ apiKey: 'sk-client', baseURL: gateway.baseURL, maxRetries: 0 }).chat.completions.create({ model: 'ejecting', messages: [{ role: 'user', content: 'hi' }] });
}

describe('outlier detection through Envoy', () => {
  const stops: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const stop of stops) await stop();
  });

  test('an endpoint that keeps failing is ejected and gets no traffic while ejected', async () => {
    const { gateway, ejectable, backup } = await ejectingGateway('300s');
    stops.push(() => gateway.stop(), () => ejectable.close(), () => backup.close());
    ejectable.respondWith(failWith(503), failWith(503), failWith(503));
    for (let index = 0; index < 3; index += 1) await ask(gateway); // e fails, b answers; the third failure ejects e
    assert.equal(ejectable.requests.length, 3);
    // Envoy ejects on its main thread once the third failure is counted.
    await waitFor('the ejection', async () => (await gateway.envoyStats()).get('cluster.model_ejecting.outlier_detection.ejections_active') === 1);
    for (let index = 0; index < 3; index += 1) await ask(gateway);
    assert.equal(ejectable.requests.length, 3, 'an ejected endpoint gets no traffic');
    assert.equal(backup.requests.length, 6);
  });

  test('an ejected endpoint comes back after the ejection time', async () => {
    const { gateway, ejectable, backup } = await ejectingGateway('1s');
    stops.push(() => gateway.stop(), () => ejectable.close(), () => backup.close());
    ejectable.respondWith(failWith(503), failWith(503), failWith(503));
    for (let index = 0; index < 3; index += 1) await ask(gateway);
    await waitFor('the ejection', async () => ((await gateway.envoyStats()).get('cluster.model_ejecting.outlier_detection.ejections_enforced_consecutive_5xx') ?? 0) >= 1);
    const seen = ejectable.requests.length;
    await waitFor(
      'the ejection to end and traffic to reach the endpoint again',
      async () => {
        await ask(gateway);
        return ejectable.requests.length > seen;
      },
      () => '',
      30_000,
    );
  });
});
