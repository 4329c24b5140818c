import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { completion, MOCK_USAGE, startMockOpenAIUpstream, streamEvents, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

/**
 * sidecar.pass_through_observability_mode through the real Envoy: pass-through streams that need
 * only metering are read by the observability-mode filter (Envoy does not wait), and still every
 * request that reached the provider is metered exactly once (cut short included), the client gets
 * the provider's bytes with its account headers hidden, and whole answers, streams that need
 * rewriting and error answers stay the router filter's.
 */
const KEY = 'sk-openai-observed';
const MODEL = 'gpt-4o-mini';
const HIDDEN = ['openai-organization', 'x-ratelimit-remaining-requests', 'set-cookie', 'cf-ray'];

describe('pass-through answers observed without Envoy waiting', () => {
  let upstream: MockOpenAIUpstream;
  let gateway: GatewayHarness;

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: KEY });
    gateway = await startGateway({
      providers: { openai: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'OPENAI_API_KEY' } } },
      models: { gpt: { provider: 'openai', model: MODEL } },
      environment: { OPENAI_API_KEY: KEY },
      sidecarWorkers: 1,
      passThroughObservabilityMode: true,
    });
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  const meteredLines = (id: string) => gateway.sidecarLogLines().filter((line) => line.event === 'request' && line.request_id === id);
  const observerStreams = async () => (await gateway.envoyStats()).get('http.gateway.ext_proc.observer.streams_started') ?? 0;
  const accessLines = () =>
    gateway
      .envoyLogs()
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes('"upstream_cluster"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  /** Messages the router-level filter sent the sidecar (and waited for). */
  const routerMessages = async () => (await gateway.envoyStats()).get('http.gateway.ext_proc.stream_msgs_sent') ?? 0;

  async function post(body: Record<string, unknown>): Promise<{ status: number; headers: Headers; text: string; id: string }> {
    const response = await fetch(`${gateway.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, id: response.headers.get('x-request-id') ?? '' };
  }

  /** Exactly one metered line for the request, and still one a while later (after the observer's deferred close and the router's grace). */
  async function meteredOnce(id: string): Promise<Record<string, unknown>> {
    await waitFor(`the log line of ${id}`, () => meteredLines(id).length > 0, () => gateway.sidecarLogs());
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const lines = meteredLines(id);
    assert.equal(lines.length, 1, `metered once: ${JSON.stringify(lines)}`);
    return lines[0]!;
  }

  test('a whole answer stays the router filter\'s (one body round trip is cheaper than a second stream): bytes, headers hidden, metered once', async () => {
    const before = await observerStreams();
    const sentBefore = await routerMessages();
    const answer = await post({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.status, 200);
    assert.equal(answer.text, JSON.stringify(completion(MODEL)));
    assert.equal((await routerMessages()) - sentBefore, 4, 'request headers and body, response headers and body');
    for (const name of HIDDEN) assert.equal(answer.headers.get(name), null, name);
    const line = await meteredOnce(answer.id);
    assert.equal(line.outcome, 'completed');
    assert.equal(line.total_tokens, MOCK_USAGE.total_tokens);
    assert.equal(await observerStreams(), before, 'no observer stream for an unmarked request');
  });

  test('a stream whose client asked for usage: every byte as sent, headers hidden, metered once by the observer', async () => {
    const before = await observerStreams();
    const sentBefore = await routerMessages();
    const answer = await post({ model: 'gpt', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.status, 200);
    assert.equal(answer.text, streamEvents(MODEL, true).join(''));
    assert.equal((await routerMessages()) - sentBefore, 3, 'request headers, request body, response headers: no chunk waits on the sidecar');
    for (const name of HIDDEN) assert.equal(answer.headers.get(name), null, name);
    assert.equal(upstream.requests.at(-1)!.headers['x-gateway-observe'], undefined, 'the marking header never reaches the provider');
    const line = await meteredOnce(answer.id);
    assert.equal(line.outcome, 'completed');
    assert.equal(line.total_tokens, MOCK_USAGE.total_tokens);
    assert.equal(await observerStreams(), before + 1, 'the observer filter read it');
    // Envoy's access log has the facts known at response headers (the observer's replies are ignored).
    const access = () => accessLines().find((entry) => entry.request_id === answer.id);
    await waitFor('the access log line', () => access() !== undefined, () => gateway.envoyLogs());
    assert.equal(access()!.model, 'gpt');
    assert.equal(access()!.path, '/v1/chat/completions');
    assert.equal(access()!.model_served, MODEL);
  });

  test('a stream whose client did not ask for usage stays the router filter\'s: usage chunk removed, metered once', async () => {
    const before = await observerStreams();
    const answer = await post({ model: 'gpt', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.status, 200);
    assert.ok(!answer.text.includes('"prompt_tokens"'), 'no usage chunk for a client that did not ask');
    assert.ok(answer.text.endsWith('data: [DONE]\n\n'));
    const line = await meteredOnce(answer.id);
    assert.equal(line.total_tokens, MOCK_USAGE.total_tokens);
    assert.equal(await observerStreams(), before, 'no observer stream for an unmarked request');
  });

  test('an error answer to a marked request stays the router filter\'s: the client\'s format, metered once', async () => {
    upstream.respondWith((_request, response) => {
      response.writeHead(400, { 'content-type': 'application/json', 'openai-organization': 'org-secret-mock' });
      response.end(JSON.stringify({ error: { message: 'bad things', type: 'invalid_request_error', param: null, code: 'bad' } }));
    });
    const answer = await post({ model: 'gpt', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.status, 400);
    assert.equal((JSON.parse(answer.text) as { error: { message: string } }).error.message, 'bad things');
    assert.equal(answer.headers.get('openai-organization'), null);
    const line = await meteredOnce(answer.id);
    assert.equal(line.status, 400);
  });

  test('a stream the client leaves early is metered once, as cut short', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    upstream.respondWith(async (_request, response) => {
      const events = streamEvents(MODEL, true);
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(events.slice(0, 3).join(''));
      await held;
      response.end(events.slice(3).join(''));
    });
    const before = await observerStreams();
    const controller = new AbortController();
    const response = await fetch(`${gateway.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }),
      signal: controller.signal,
    });
    const id = response.headers.get('x-request-id') ?? '';
    const reader = response.body!.getReader();
    const first = await reader.read();
    assert.ok(Buffer.from(first.value!).toString('utf8').startsWith(streamEvents(MODEL, true)[0]!));
    controller.abort();
    await reader.cancel().catch(() => undefined);
    try {
      const line = await meteredOnce(id);
      assert.equal(line.outcome, 'cut_short');
      assert.equal(line.usage_estimated, true);
    } finally {
      release();
    }
    assert.equal(await observerStreams(), before + 1);
  });
});
