import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startGateway, type GatewayHarness } from '../support/gateway-harness.js';
import { startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

/**
 * The latency-aware choice, simulated on the real Envoy: a route's `fastest` rule picks
 * between two models, each on its own mock upstream. One upstream's first token becomes late
 * (300 ms against a few), then recovers. The assertions are on how the requests split between
 * the upstreams (counted by the mocks), never on times: the slow delay is far beyond the
 * tolerance, the counts are large and the thresholds leave wide margins, so a loaded machine
 * moves the figures without flipping the outcome.
 */
const PROVIDER_KEY = 'sk-provider-latency';
const SLOW_MS = 300;
const EXPLORE = 0.15;
const CONCURRENCY = 4;

describe('latency-aware routing (fastest rules)', () => {
  let steady: MockOpenAIUpstream;
  let changing: MockOpenAIUpstream;
  let changingDelayMs = 0;
  let gateway: GatewayHarness;
  let client: OpenAI;
  const reasons = new Map<string, number>();

  before(async () => {
    steady = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    changing = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY, delayMs: () => changingDelayMs });
    gateway = await startGateway({
      providers: {
        steady: { kind: 'openai', base_url: `http://127.0.0.1:${steady.port}/v1`, credential: { env: 'MOCK_KEY' } },
        changing: { kind: 'openai', base_url: `http://127.0.0.1:${changing.port}/v1`, credential: { env: 'MOCK_KEY' } },
      },
      models: {
        'model-a': { provider: 'steady', model: 'model-a' },
        'model-b': { provider: 'changing', model: 'model-b' },
      },
      routes: {
        quick: {
          rules: [{ name: 'fastest', fastest: ['model-a', 'model-b'] }],
          default: 'model-a',
          // Both equally fast while within 100 ms of each other: scheduling noise never separates them.
          latency: { explore: EXPLORE, tolerance_ms: 100 },
        },
      },
      environment: { MOCK_KEY: PROVIDER_KEY },
    });
    client = new OpenAI({ apiKey: 'unused', baseURL: gateway.baseURL, maxRetries: 0 });
  });

  after(async () => {
    await gateway?.stop();
    await steady?.close();
    await changing?.close();
  });

  /** Sends `count` streamed requests to the route, CONCURRENCY at a time; returns how many each upstream received. */
  async function phase(count: number): Promise<{ steady: number; changing: number }> {
    const before = { steady: steady.requests.length, changing: changing.requests.length };
    let left = count;
    const worker = async () => {
      while (left > 0) {
        left -= 1;
        const { data: stream, response } = await client.chat.completions.create({ model: 'quick', stream: true, messages: [{ role: 'user', content: 'Say hello.' }] }).withResponse();
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        assert.equal(text, 'Hello from the mock upstream.');
        const reason = (response.headers.get('x-gateway-route-reason') ?? 'none').split(';')[0]!;
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return { steady: steady.requests.length - before.steady, changing: changing.requests.length - before.changing };
  }

  test('traffic moves off a target whose first token is late, and back once it recovers', async () => {
    // Both fast: they share the traffic (not asserted: either may lead).
    const warm = await phase(30);
    assert.equal(warm.steady + warm.changing, 30);

    changingDelayMs = SLOW_MS;
    // The change shows once the slow answers come back: the requests already sent to it are not counted below.
    await phase(20);
    const slow = await phase(80);
    assert.equal(slow.steady + slow.changing, 80);
    // Only exploration (15%) should reach the slow upstream: about 12 of 80; fewer than 28 with a wide margin.
    assert.ok(slow.changing < 28, `the slow upstream got ${slow.changing} of 80 requests; the steady one ${slow.steady}`);
    assert.ok(slow.changing > 0, 'exploration keeps measuring the slow upstream');

    changingDelayMs = 0;
    // Exploration measures it again; about four fast samples bring it back within the tolerance.
    await phase(60);
    const recovered = await phase(80);
    assert.equal(recovered.steady + recovered.changing, 80);
    // Back to sharing: about 40 of 80; more than 24 with a wide margin.
    assert.ok(recovered.changing > 24, `the recovered upstream got ${recovered.changing} of 80 requests; the steady one ${recovered.steady}`);

    assert.ok((reasons.get('explore') ?? 0) > 0, `explorations were announced: ${JSON.stringify([...reasons])}`);
    assert.ok((reasons.get('fastest') ?? 0) > 0);
    const metrics = await gateway.sidecarMetrics();
    for (const model of ['model-a', 'model-b']) {
      assert.match(metrics, new RegExp(`llm_gateway_target_latency_ewma_seconds\\{target="${model}#0",gen_ai_provider_name="\\w+",gen_ai_response_model="${model}",measure="first_token"\\} `));
      assert.match(metrics, new RegExp(`llm_gateway_target_error_rate_ewma\\{target="${model}#0",[^}]*\\} 0`));
    }
    assert.match(metrics, /llm_gateway_route_choices_total\{route="quick",rule="fastest",gen_ai_request_model="model-b"\} [1-9]/);
  });

  test('an Anthropic Messages client is routed by the same fastest rule, and told why', async () => {
    const sent = steady.requests.length + changing.requests.length;
    const anthropic = new Anthropic({ baseURL: `http://127.0.0.1:${gateway.listenerPort}`, apiKey: 'unused', maxRetries: 0 });
    const { data, response } = await anthropic.messages.create({ model: 'quick', max_tokens: 50, messages: [{ role: 'user', content: 'Say hello.' }] }).withResponse();
    assert.equal(data.content[0]?.type, 'text');
    assert.equal(response.headers.get('x-gateway-route-rule'), 'fastest');
    assert.match(response.headers.get('x-gateway-model') ?? '', /^model-[ab]$/);
    assert.match(response.headers.get('x-gateway-route-reason') ?? '', /^(fastest|explore); latency_ms=\d/);
    assert.equal(steady.requests.length + changing.requests.length, sent + 1);
  });
});
