import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { PACKAGE_ROOT, startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { ANTHROPIC_USAGE, startMockAnthropicUpstream, type MockAnthropicUpstream } from '../support/mock-anthropic-upstream.js';
import { MOCK_USAGE, startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

/**
 * After a known sequence of requests, /metrics, the log lines and Envoy's access log must
 * show exactly the tokens the mock providers reported and the cost the prices imply.
 */
const OPENAI_KEY = 'sk-observability-openai';
const ANTHROPIC_KEY = 'sk-observability-anthropic';
// USD per million tokens, as the configuration takes them.
const GPT_PRICE = { input: 2, output: 8, cached_input: 0.5 };
const CLAUDE_PRICE = { input: 3, output: 15, cached_input: 0.3, cache_write: 3.75 };
const M = 1e6;
// One OpenAI-style answer: 11 prompt tokens of which 3 cached, 7 completion tokens of which 2 reasoning.
const GPT_COST = ((MOCK_USAGE.prompt_tokens - 3) * GPT_PRICE.input + 3 * GPT_PRICE.cached_input + MOCK_USAGE.completion_tokens * GPT_PRICE.output) / M;
// One Anthropic answer: 21 uncached input, 8 cache reads, 4 cache writes, 9 output.
const CLAUDE_COST =
  (ANTHROPIC_USAGE.input_tokens * CLAUDE_PRICE.input +
    ANTHROPIC_USAGE.cache_read_input_tokens * CLAUDE_PRICE.cached_input +
    ANTHROPIC_USAGE.cache_creation_input_tokens * CLAUDE_PRICE.cache_write +
    ANTHROPIC_USAGE.output_tokens * CLAUDE_PRICE.output) /
  M;

describe('metrics, logs and the access log add up', () => {
  let openai: MockOpenAIUpstream;
  let anthropic: MockAnthropicUpstream;
  let gateway: GatewayHarness;
  let client: OpenAI;

  before(async () => {
    openai = await startMockOpenAIUpstream({ expectedKey: OPENAI_KEY });
    anthropic = await startMockAnthropicUpstream({ expectedKey: ANTHROPIC_KEY });
    gateway = await startGateway({
      providers: {
        oa: { kind: 'openai', base_url: `http://127.0.0.1:${openai.port}/v1`, credential: { env: 'OA_KEY' } },
        an: { kind: 'anthropic', base_url: `http://127.0.0.1:${anthropic.port}/v1`, credential: { env: 'AN_KEY' } },
      },
      models: { 'gpt-obs': { provider: 'oa', model: 'gpt-o' }, 'claude-obs': { provider: 'an', model: 'claude-o' } },
      environment: { OA_KEY: OPENAI_KEY, AN_KEY: ANTHROPIC_KEY },
      prices: { 'oa/gpt-o': GPT_PRICE, 'an/claude-o': CLAUDE_PRICE },
    });
    client = new OpenAI({ apiKey: 'sk-client-obs', baseURL: gateway.baseURL, maxRetries: 0 });

    const messages = [{ role: 'user' as const, content: 'count me' }];
    await client.chat.completions.create({ model: 'gpt-obs', messages });
    await client.chat.completions.create({ model: 'gpt-obs', messages }, { headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
    for await (const chunk of await client.chat.completions.create({ model: 'gpt-obs', messages, stream: true })) void chunk;
    await client.chat.completions.create({ model: 'claude-obs', messages });
    for await (const chunk of await client.chat.completions.create({ model: 'claude-obs', messages, stream: true, stream_options: { include_usage: true } })) void chunk;
    await waitFor('five log lines', () => gateway.sidecarLogLines().filter((line) => line.event === 'request').length === 5);
  });

  after(async () => {
    await gateway?.stop();
    await openai?.close();
    await anthropic?.close();
  });

  async function metric(name: string, labels: Record<string, string>): Promise<number> {
    const text = await gateway.sidecarMetrics();
    const wanted = Object.entries(labels);
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      if (wanted.every(([key, value]) => line.includes(`${key}="${value}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    assert.fail(`no series ${name} with ${JSON.stringify(labels)}`);
  }

  test('token sums per type match what the providers reported, exactly', async () => {
    const gpt = { gen_ai_request_model: 'gpt-obs', gen_ai_provider_name: 'oa' };
    assert.equal(await metric('gen_ai_client_token_usage_sum', { ...gpt, gen_ai_token_type: 'input' }), 3 * MOCK_USAGE.prompt_tokens);
    assert.equal(await metric('gen_ai_client_token_usage_sum', { ...gpt, gen_ai_token_type: 'output' }), 3 * MOCK_USAGE.completion_tokens);
    assert.equal(await metric('gen_ai_client_token_usage_sum', { ...gpt, gen_ai_token_type: 'cached_input' }), 3 * 3);
    assert.equal(await metric('gen_ai_client_token_usage_sum', { ...gpt, gen_ai_token_type: 'reasoning' }), 3 * 2);
    assert.equal(await metric('gen_ai_client_token_usage_count', { ...gpt, gen_ai_token_type: 'input' }), 3);
    const claude = { gen_ai_request_model: 'claude-obs', gen_ai_provider_name: 'an' };
    const prompt = ANTHROPIC_USAGE.input_tokens + ANTHROPIC_USAGE.cache_read_input_tokens + ANTHROPIC_USAGE.cache_creation_input_tokens;
    assert.equal(await metric('gen_ai_client_token_usage_sum', { ...claude, gen_ai_token_type: 'input' }), 2 * prompt);
    assert.equal(await metric('gen_ai_client_token_usage_sum', { ...claude, gen_ai_token_type: 'output' }), 2 * ANTHROPIC_USAGE.output_tokens);
    assert.equal(await metric('gen_ai_client_token_usage_sum', { ...claude, gen_ai_token_type: 'cached_input' }), 2 * ANTHROPIC_USAGE.cache_read_input_tokens);
    assert.equal(await metric('gen_ai_client_token_usage_sum', { ...claude, gen_ai_token_type: 'cache_creation_input' }), 2 * ANTHROPIC_USAGE.cache_creation_input_tokens);
  });

  test('cost follows the price table and each provider’s billing rules', async () => {
    assert.ok(Math.abs((await metric('llm_gateway_cost_usd_total', { gen_ai_request_model: 'gpt-obs' })) - 3 * GPT_COST) < 1e-12);
    assert.ok(Math.abs((await metric('llm_gateway_cost_usd_total', { gen_ai_request_model: 'claude-obs' })) - 2 * CLAUDE_COST) < 1e-12);
  });

  test('streams have a time to first token and a time per output token; requests a duration', async () => {
    assert.equal(await metric('gen_ai_server_time_to_first_token_seconds_count', { gen_ai_request_model: 'gpt-obs' }), 1);
    assert.equal(await metric('gen_ai_server_time_to_first_token_seconds_count', { gen_ai_request_model: 'claude-obs' }), 1);
    assert.equal(await metric('gen_ai_server_time_per_output_token_seconds_count', { gen_ai_request_model: 'gpt-obs' }), 1);
    assert.equal(await metric('gen_ai_server_request_duration_seconds_count', { gen_ai_request_model: 'gpt-obs', http_response_status_code: '200' }), 3);
    assert.equal(await metric('llm_gateway_active_requests', { gen_ai_request_model: 'gpt-obs' }), 0);
  });

  test('one JSON log line per request with every field, and no prompt text', () => {
    const lines = gateway.sidecarLogLines().filter((line) => line.event === 'request');
    const streamed = lines.find((line) => line.model === 'claude-obs' && line.stream === true)!;
    for (const field of ['request_id', 'model', 'model_served', 'provider', 'status', 'attempts', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'cost_usd', 'time_to_first_token_ms', 'duration_ms', 'stream', 'trace_id']) {
      assert.ok(field in streamed, `log line lacks ${field}`);
    }
    assert.equal(streamed.model_served, 'claude-o-20251001');
    assert.equal(streamed.provider, 'an');
    assert.ok(Math.abs((streamed.cost_usd as number) - CLAUDE_COST) < 1e-12);
    assert.ok((streamed.time_to_first_token_ms as number) > 0);
    assert.ok(!gateway.sidecarLogs().includes('count me'), 'prompt text is never logged');
  });

  test("Envoy's access log carries the sidecar's facts", async () => {
    const accessLines = () =>
      gateway
        .envoyLogs()
        .split('\n')
        .filter((line) => line.startsWith('{') && line.includes('"upstream_cluster"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    await waitFor('access log lines', () => accessLines().filter((line) => line.path === '/v1/chat/completions').length >= 5, () => gateway.envoyLogs());
    const claude = accessLines().filter((line) => line.model === 'claude-obs');
    assert.equal(claude.length, 2);
    for (const line of claude) {
      assert.equal(line.model_served, 'claude-o-20251001');
      assert.equal(line.provider, 'an');
      assert.equal(line.prompt_tokens, ANTHROPIC_USAGE.input_tokens + ANTHROPIC_USAGE.cache_read_input_tokens + ANTHROPIC_USAGE.cache_creation_input_tokens);
      assert.equal(line.completion_tokens, ANTHROPIC_USAGE.output_tokens);
      assert.ok(Math.abs((line.cost_usd as number) - CLAUDE_COST) < 1e-12);
      assert.equal(line.status, 200);
      assert.equal(line.upstream_cluster, 'model_claude-obs');
      assert.equal(line.path, '/v1/chat/completions', 'the client path, not the provider one');
      assert.equal(line.upstream_path, '/v1/messages');
    }
    const refused = await fetch(`${gateway.baseURL}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'no-such', messages: [{ role: 'user', content: 'x' }] }) });
    assert.equal(refused.status, 404);
    await waitFor('the refusal in the access log', () => accessLines().some((line) => line.error === 'model_not_found' && line.path === '/v1/chat/completions' && line.status === 404));
    const ids = new Set(gateway.sidecarLogLines().filter((line) => line.event === 'request').map((line) => line.request_id));
    for (const line of accessLines().filter((line) => line.path === '/v1/chat/completions' && line.error === null)) assert.ok(ids.has(line.request_id), 'access log and sidecar log share the request id');
  });

  test('W3C trace context reaches the provider: the client’s, or one the gateway started', () => {
    const [first, second] = openai.requests;
    assert.equal(second!.headers.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'a client traceparent passes unchanged');
    const generated = /^00-([0-9a-f]{32})-[0-9a-f]{16}-01$/.exec(String(first!.headers.traceparent));
    assert.ok(generated, `generated traceparent: ${String(first!.headers.traceparent)}`);
    const lines = gateway.sidecarLogLines().filter((line) => line.event === 'request' && line.model === 'gpt-obs');
    assert.ok(lines.some((line) => line.trace_id === generated[1]), 'the log line names the trace');
    assert.ok(lines.some((line) => line.trace_id === '0af7651916cd43dd8448eb211c80319c'));
  });

  test('every Grafana panel queries metrics the sidecar or Envoy expose', async () => {
    const dashboard = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'observability/grafana/dashboards/llm-gateway.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const exposition = (await gateway.sidecarMetrics()) + (await (await fetch(`http://127.0.0.1:${gateway.envoyMetricsPort}/stats/prometheus`)).text());
    const exposed = new Set<string>();
    for (const line of exposition.split('\n')) {
      const typed = /^# TYPE (\S+) (\S+)/.exec(line);
      if (typed) {
        exposed.add(typed[1]!);
        if (typed[2] === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exposed.add(`${typed[1]}${suffix}`);
      } else if (/^[a-z]/.test(line)) {
        exposed.add(line.split(/[{ ]/)[0]!);
      }
    }
    assert.ok(dashboard.panels.length >= 10);
    for (const panel of dashboard.panels) {
      assert.ok(panel.targets.length > 0, panel.title);
      for (const target of panel.targets) {
        // Label names (in "by (...)" and "{...}") look like metric names; only the rest names metrics.
        const metricsPart = target.expr.replace(/\b(by|without)\s*\([^)]*\)/g, '').replace(/\{[^}]*\}/g, '');
        const names = metricsPart.match(/\b(llm_gateway|gen_ai|envoy|process|nodejs)_[a-z0-9_]+\b/g) ?? [];
        assert.ok(names.length > 0, `${panel.title}: no metric in ${target.expr}`);
        for (const name of names) assert.ok(exposed.has(name), `${panel.title}: ${name} is not exposed`);
      }
    }
  });

  test("Envoy's metrics listener serves only /stats/prometheus and /ready", async () => {
    const ready = await fetch(`http://127.0.0.1:${gateway.envoyMetricsPort}/ready`);
    assert.equal(ready.status, 200);
    assert.equal((await ready.text()).trim(), 'LIVE');
    assert.equal((await fetch(`http://127.0.0.1:${gateway.envoyMetricsPort}/ready`, { method: 'POST' })).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${gateway.envoyMetricsPort}/healthcheck/fail`, { method: 'POST' })).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${gateway.envoyMetricsPort}/quitquitquit`, { method: 'POST' })).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${gateway.envoyMetricsPort}/config_dump`)).status, 404);
  });
});
