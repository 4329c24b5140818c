import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';
import { seriesValue } from '../support/prometheus-text.js';

/**
 * Closed to strangers unless the operator opens it on purpose, and then only while no key
 * can exist; whichever it is, /healthz and a metric say so all the time.
 */
const PROVIDER_KEY = 'sk-provider-access';
const ADMIN_KEY = 'admin-secret-access-0123456789';

describe('access mode through Envoy', () => {
  let upstream: MockOpenAIUpstream;
  const gateways: GatewayHarness[] = [];

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
  });

  after(async () => {
    for (const gateway of gateways) await gateway.stop();
    await upstream?.close();
  });

  const start = async (governance: Record<string, unknown>) => {
    const gateway = await startGateway({
      providers: { mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'MOCK_KEY' } } },
      models: { 'gpt-test': { provider: 'mock', model: 'gpt-upstream' }, 'other-test': { provider: 'mock', model: 'gpt-upstream' } },
      environment: { MOCK_KEY: PROVIDER_KEY, ADMIN_KEY },
      governance,
    });
    gateways.push(gateway);
    return gateway;
  };
  const health = async (gateway: GatewayHarness) => (await (await fetch(`http://127.0.0.1:${gateway.sidecarAdminPort}/healthz`)).json()) as { access: string };
  const anonymous = (gateway: GatewayHarness) => new OpenAI({ apiKey: 'anything', baseURL: gateway.baseURL, maxRetries: 0 });

  test('with no configuration at all the gateway is closed', async () => {
    const gateway = await start({ mode: 'closed' });
    assert.equal((await health(gateway)).access, 'closed');
    assert.equal(seriesValue(await gateway.sidecarMetrics(), 'llm_gateway_open_access'), 0);
    await assert.rejects(anonymous(gateway).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.AuthenticationError);
      return true;
    });
    await assert.rejects(anonymous(gateway).models.list(), (error: unknown) => error instanceof OpenAI.AuthenticationError, '/v1/models needs a key too');
  });

  test('open on purpose: anonymous clients are served, and /healthz, the metric and the log say so', async () => {
    const gateway = await start({ mode: 'open' });
    assert.equal((await health(gateway)).access, 'open');
    assert.equal(seriesValue(await gateway.sidecarMetrics(), 'llm_gateway_open_access'), 1);
    assert.ok((await anonymous(gateway).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] })).choices.length > 0);
    assert.match(gateway.sidecarLogs(), /the gateway is OPEN to any client/);
  });

  test('open asked for, but the admin API is on: closed; keys it creates work, no key is refused, /v1/models lists what the key may use', async () => {
    const gateway = await start({ mode: 'open', admin_key: { env: 'ADMIN_KEY' } });
    assert.equal((await health(gateway)).access, 'closed');
    await waitFor('the reason in the log', () => /governance\.mode is open, but the gateway is closed because the admin API is enabled/.test(gateway.sidecarLogs()));
    const created = await fetch(`http://127.0.0.1:${gateway.sidecarAdminPort}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ alias: 'other-only', models: ['other-*'] }),
    });
    assert.equal(created.status, 201);
    const { key } = (await created.json()) as { key: string };

    await assert.rejects(anonymous(gateway).chat.completions.create({ model: 'other-test', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.AuthenticationError);
      assert.equal(error.code, 'invalid_api_key');
      return true;
    });
    const client = new OpenAI({ apiKey: key, baseURL: gateway.baseURL, maxRetries: 0 });
    assert.ok((await client.chat.completions.create({ model: 'other-test', messages: [{ role: 'user', content: 'hi' }] })).choices.length > 0);
    const listed = [];
    for await (const model of client.models.list()) listed.push(model.id);
    assert.deepEqual(listed, ['other-test']);
    assert.equal((await client.models.retrieve('other-test')).id, 'other-test');
    await assert.rejects(client.models.retrieve('gpt-test'), (error: unknown) => error instanceof OpenAI.NotFoundError, 'a model the key may not use is not found for it');
  });
});
