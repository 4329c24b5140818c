import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sidecarWorkersFor, startGateway, type GatewayHarness } from '../support/gateway-harness.js';
import { startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

const PROVIDER_KEY = 'sk-provider-resets';
/**
 * Past Node's default Rapid Reset allowance (a burst of 1,000 resets, then 33 per second) on
 * each sidecar worker's connection: with several workers Envoy spreads the streams over them.
 */
const REQUESTS = 1_400 * sidecarWorkersFor({});
const CONCURRENCY = 16;

/**
 * Envoy 1.40 ends every ext_proc stream with RST_STREAM (its graceful close crashes it; see
 * src/config/render-envoy.ts). Node's HTTP/2 stack answers the 1,001st quick reset on one
 * connection with GOAWAY and fails the requests in flight; Envoy therefore moves to a new
 * connection every SIDECAR_STREAMS_PER_CONNECTION streams.
 */
describe('the sidecar accepts Envoy resetting each ext_proc stream', () => {
  let upstream: MockOpenAIUpstream;
  let gateway: GatewayHarness;

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    gateway = await startGateway({
      providers: { mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'MOCK_OPENAI_KEY' } } },
      models: { 'gpt-test': { provider: 'mock', model: 'gpt-upstream' } },
      environment: { MOCK_OPENAI_KEY: PROVIDER_KEY },
      retainLogs: false,
    });
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  test(`${REQUESTS} quick requests all succeed and the sidecar never sends GOAWAY`, { timeout: 120_000 }, async () => {
    const statuses = new Map<number, number>();
    let next = 0;
    const body = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          next += 1;
          const response = await fetch(`${gateway.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client' }, body });
          await response.arrayBuffer();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        }
      }),
    );
    const stats = await gateway.envoyStats();
    assert.deepEqual(Object.fromEntries(statuses), { 200: REQUESTS });
    assert.ok((stats.get('cluster.gateway_sidecar.upstream_rq_tx_reset') ?? 0) >= REQUESTS, 'Envoy resets each ext_proc stream, so the test exercises the limit');
    assert.equal(stats.get('cluster.gateway_sidecar.upstream_cx_close_notify'), 0, 'the sidecar sent GOAWAY');
    assert.ok((stats.get('cluster.gateway_sidecar.upstream_cx_max_requests') ?? 0) >= 1, 'Envoy moved to a new connection before the reset limit');
  });
});
