import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { MOCK_USAGE, startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';
import { seriesValue } from '../support/prometheus-text.js';

/**
 * A model with no price is named at start (a warning and a gauge), every request it serves
 * is counted, and its cost is unknown everywhere it is reported: null in spend rows and log
 * lines, absent from the USD metrics, never $0.
 */
const PROVIDER_KEY = 'sk-provider-unpriced';
const ADMIN_KEY = 'admin-secret-for-unpriced-0123456789';
const SECRET = 'sk-test-unpriced-0123456789';

describe('a model with no price', () => {
  let upstream: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  const admin = async (path: string): Promise<any> => {
    const response = await fetch(`http://127.0.0.1:${gateway.sidecarAdminPort}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    assert.equal(response.status, 200);
    return response.json();
  };

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    gateway = await startGateway({
      providers: { mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'MOCK_KEY' } } },
      models: { priced: { provider: 'mock', model: 'gpt-priced' }, mystery: { provider: 'mock', model: 'gpt-mystery' } },
      environment: { MOCK_KEY: PROVIDER_KEY, ADMIN_KEY },
      governance: { admin_key: { env: 'ADMIN_KEY' } },
      keys: [{ alias: 'team', hash: hashKeySecret(SECRET) }],
      prices: { 'mock/gpt-priced': { input: 1, output: 2 } },
    });
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  test('is named at start, in the log and a gauge; the priced one is not', async () => {
    const warning = gateway.sidecarLogLines().find((line) => Array.isArray(line.unpriced_models));
    assert.ok(warning, 'a start-up warning naming the unpriced models');
    assert.equal(warning.level, 'warn');
    assert.deepEqual(warning.unpriced_models, ['mystery (mock/gpt-mystery)']);
    assert.match(String(warning.msg), /no price for mystery \(mock\/gpt-mystery\): their cost is recorded as unknown, not \$0/);
    const metrics = await gateway.sidecarMetrics();
    assert.equal(seriesValue(metrics, 'llm_gateway_unpriced_models', { gen_ai_request_model: 'mystery', gen_ai_response_model: 'gpt-mystery', gen_ai_provider_name: 'mock' }), 1);
    assert.equal(seriesValue(metrics, 'llm_gateway_unpriced_models', { gen_ai_request_model: 'priced' }), 0);
  });

  test('what it serves is counted, and its cost is unknown (null), not $0, in spend rows, logs and metrics', async () => {
    const client = new OpenAI({ apiKey: SECRET, baseURL: gateway.baseURL, maxRetries: 0 });
    const before = await gateway.sidecarMetrics();
    const completion = await client.chat.completions.create({ model: 'mystery', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(completion.usage?.total_tokens, MOCK_USAGE.total_tokens, 'the request itself is served');
    await client.chat.completions.create({ model: 'priced', messages: [{ role: 'user', content: 'hi' }] });
    await waitFor('both requests to be recorded', async () => (await admin('/admin/spend?key=config:team')).data.length === 2);

    const rows = (await admin('/admin/spend?key=config:team')).data.map(({ model, usd, tokens, requests, unpriced_requests }: any) => ({ model, usd, tokens, requests, unpriced_requests }));
    const pricedUsd = (MOCK_USAGE.prompt_tokens * 1 + MOCK_USAGE.completion_tokens * 2) / 1e6;
    assert.equal(rows.length, 2);
    assert.deepEqual(rows.find((row: any) => row.model === 'mystery'), { model: 'mystery', usd: null, tokens: MOCK_USAGE.total_tokens, requests: 1, unpriced_requests: 1 });
    const priced = rows.find((row: any) => row.model === 'priced');
    assert.equal(priced.unpriced_requests, 0);
    assert.ok(Math.abs(priced.usd - pricedUsd) < 1e-9, `priced usd ${priced.usd}`);

    const metrics = await gateway.sidecarMetrics();
    const delta = (name: string, labels: Record<string, string>) => seriesValue(metrics, name, labels) - seriesValue(before, name, labels);
    assert.equal(delta('llm_gateway_unpriced_requests_total', { gen_ai_request_model: 'mystery', gen_ai_response_model: 'gpt-mystery', gen_ai_provider_name: 'mock' }), 1);
    assert.equal(delta('llm_gateway_unpriced_requests_total', { gen_ai_request_model: 'priced' }), 0);
    assert.ok(!metrics.includes('llm_gateway_spend_usd_total{key_alias="team",gen_ai_request_model="mystery"}'), 'no $0 spend series for it');
    assert.ok(!metrics.includes('llm_gateway_cost_usd_total{gen_ai_request_model="mystery"'), 'no $0 cost series for it');

    // Waited for: a sidecar worker's lines reach the log through its primary, a little later than the answer.
    const mysteryLine = () => gateway.sidecarLogLines().find((entry) => entry.event === 'request' && entry.model === 'mystery');
    await waitFor('the request line', () => mysteryLine() !== undefined);
    const line = mysteryLine();
    assert.ok(line);
    assert.equal(line.cost_usd, null);
    assert.equal(line.total_tokens, MOCK_USAGE.total_tokens);
  });
});
