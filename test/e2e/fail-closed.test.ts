import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

/** With the sidecar gone, Envoy must refuse in OpenAI form and forward nothing; it recovers by itself. */
const PROVIDER_KEY = 'sk-provider-failclosed-42';

describe('fail closed when the sidecar is down', () => {
  let upstream: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  let client: OpenAI;

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    gateway = await startGateway({
      providers: { mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'MOCK_KEY' } } },
      models: { 'gpt-test': { provider: 'mock', model: 'gpt-upstream' } },
      environment: { MOCK_KEY: PROVIDER_KEY },
    });
    client = new OpenAI({ apiKey: 'sk-client', baseURL: gateway.baseURL, maxRetries: 0 });
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  test('requests get a JSON 503 and never reach the provider; a restarted sidecar serves again without restarting Envoy', async () => {
    const ok = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'before' }] });
    assert.ok(ok.choices[0]?.message.content);
    const forwarded = upstream.requests.length;

    await gateway.killSidecar('SIGKILL');
    for (const stream of [false, true]) {
      await assert.rejects(client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'during' }], stream }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.InternalServerError, `got ${String(error)}`);
        assert.equal(error.status, 503);
        assert.equal((error as InstanceType<typeof OpenAI.APIError>).code, 'service_unavailable');
        return true;
      });
    }
    const models = await fetch(`${gateway.baseURL}/models`);
    assert.equal(models.status, 503);
    assert.equal(models.headers.get('content-type'), 'application/json');
    await models.text();
    assert.equal(upstream.requests.length, forwarded, 'nothing was forwarded while the sidecar was down');

    await gateway.startSidecar();
    await waitFor('requests to succeed again', async () => {
      const response = await fetch(`${gateway.baseURL}/models`);
      await response.text();
      return response.status === 200;
    });
    const again = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'after' }] });
    assert.ok(again.choices[0]?.message.content);
    for (const request of upstream.requests) {
      assert.equal(request.headers.authorization, `Bearer ${PROVIDER_KEY}`, 'every forwarded request carried the provider key');
    }
  });
});
