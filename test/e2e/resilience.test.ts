import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { freePort } from '../support/free-port.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { cutStreamAfter, failWith, gate, resetConnection, streamHeldUntil, succeed } from '../support/faults.js';
import { MOCK_REPLY_WORDS, startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

/**
 * Envoy retries, ejects and falls back; the sidecar translates and authenticates every
 * attempt afresh. Faults come from scripted mock upstreams; everything runs through the
 * real Envoy.
 */
const KEY_A = 'sk-primary-a';
const KEY_B = 'sk-secondary-b';

describe('resilience through Envoy', () => {
  let primary: MockOpenAIUpstream;
  let secondary: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  let client: OpenAI;

  before(async () => {
    primary = await startMockOpenAIUpstream({ expectedKey: KEY_A });
    secondary = await startMockOpenAIUpstream({ expectedKey: KEY_B });
    const nothingListens = await freePort();
    gateway = await startGateway({
      providers: {
        a: { kind: 'openai', base_url: `http://127.0.0.1:${primary.port}/v1`, credential: { env: 'KEY_A' } },
        b: { kind: 'openai', base_url: `http://127.0.0.1:${secondary.port}/v1`, credential: { env: 'KEY_B' } },
        dead: { kind: 'openai', base_url: `http://127.0.0.1:${nothingListens}/v1`, credential: { env: 'KEY_A' } },
        keyless: { kind: 'openai', base_url: `http://127.0.0.1:${primary.port}/v1`, credential: { env: 'KEY_NOT_SET' } },
      },
      // One model per scenario: each is its own Envoy cluster, so outlier counters never carry over between tests.
      models: {
        ...Object.fromEntries(
          ['retry', 'fallback', 'fallback-stream', 'rate-limited', 'reset', 'all-fail', 'metrics'].map((name) => [
            name,
            { fallback: [{ provider: 'a', model: 'model-a' }, { provider: 'b', model: 'model-b' }] },
          ]),
        ),
        refused: { fallback: [{ provider: 'dead', model: 'model-dead' }, { provider: 'b', model: 'model-b' }] },
        lonely: { provider: 'a', model: 'model-a' },
        'keyless-first': { fallback: [{ provider: 'keyless', model: 'model-keyless' }, { provider: 'b', model: 'model-b' }] },
      },
      environment: { KEY_A, KEY_B },
      resilience: {
        attempts_per_level: 2,
        max_attempts: 4,
        backoff_base: '10ms',
        backoff_max: '50ms',
        retry_after_max: '5s',
        outlier_detection: { consecutive_5xx: 3, consecutive_gateway_failure: 3, interval: '500ms', base_ejection_time: '2s' },
      },
    });
    client = new OpenAI({ apiKey: 'sk-client', baseURL: gateway.baseURL, maxRetries: 0 });
  });

  after(async () => {
    await gateway?.stop();
    await Promise.all([primary?.close(), secondary?.close()]);
  });

  beforeEach(() => {
    for (const upstream of [primary, secondary]) upstream?.resetScript();
  });

  const ask = (model: string) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
  const askStream = (model: string) =>
    client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });

  const lastLog = () => gateway.sidecarLogLines().filter((line) => line.event === 'request').at(-1)!;

  test('a 503 once: the same provider is retried and the client never notices', async () => {
    const [aBefore, bBefore] = [primary.requests.length, secondary.requests.length];
    primary.respondWith(failWith(503), succeed);
    const completion = await ask('retry');
    assert.equal(completion.choices[0]?.message.content, MOCK_REPLY_WORDS.join(''));
    assert.equal(primary.requests.length - aBefore, 2);
    assert.equal(secondary.requests.length - bBefore, 0);
    await waitFor('the log line', () => lastLog().model === 'retry');
    assert.deepEqual(lastLog().attempts, ['a/model-a', 'a/model-a']);
  });

  for (const stream of [false, true]) {
    test(`a primary that keeps failing falls back to the next level${stream ? ' (streaming)' : ''}`, async () => {
      const [aBefore, bBefore] = [primary.requests.length, secondary.requests.length];
      primary.respondWith(failWith(500), failWith(502));
      let text = '';
      const model = stream ? 'fallback-stream' : 'fallback';
      if (stream) {
        for await (const chunk of await askStream(model)) text += chunk.choices[0]?.delta.content ?? '';
      } else {
        text = (await ask(model)).choices[0]?.message.content ?? '';
      }
      assert.equal(text, MOCK_REPLY_WORDS.join(''));
      assert.equal(primary.requests.length - aBefore, 2, 'attempts_per_level tries on the primary');
      assert.equal(secondary.requests.length - bBefore, 1);
      const fallback = secondary.requests.at(-1)!;
      assert.equal(fallback.headers.authorization, `Bearer ${KEY_B}`, 'the fallback carries its own provider key');
      assert.equal(fallback.json?.model, 'model-b', 'and its own model name');
      await waitFor('the log line', () => lastLog().model === model);
      assert.deepEqual(lastLog().attempts, ['a/model-a', 'a/model-a', 'b/model-b']);
      assert.equal(lastLog().provider, 'b');
      assert.equal(lastLog().model_served, 'model-b-2025-01-01');
    });
  }

  // A 429 with Retry-After pauses the target instead (test/e2e/provider-pauses.test.ts).
  test('a 429 without Retry-After is retried on the same provider', async () => {
    const [aBefore, bBefore] = [primary.requests.length, secondary.requests.length];
    primary.respondWith(failWith(429), succeed);
    await ask('rate-limited');
    assert.equal(primary.requests.length - aBefore, 2);
    assert.equal(secondary.requests.length - bBefore, 0);
  });

  test('a connection reset is retried', async () => {
    const aBefore = primary.requests.length;
    primary.respondWith(resetConnection, succeed);
    await ask('reset');
    assert.equal(primary.requests.length - aBefore, 2);
  });

  test('a refused connection falls back to the next level', async () => {
    const bBefore = secondary.requests.length;
    const completion = await ask('refused');
    assert.equal(completion.choices[0]?.message.content, MOCK_REPLY_WORDS.join(''));
    assert.equal(secondary.requests.length - bBefore, 1);
  });

  test('a target whose provider has no key is never tried: Envoy health-checks it through the sidecar', async () => {
    const seen = primary.requests.length;
    for (let index = 0; index < 3; index += 1) {
      const completion = await ask('keyless-first');
      assert.equal(completion.choices[0]?.message.content, MOCK_REPLY_WORDS.join(''));
    }
    assert.equal(primary.requests.length, seen, 'nothing was sent to the keyless target');
    const stats = await gateway.envoyStats();
    assert.ok((stats.get('cluster.model_keyless-first.health_check.failure') ?? 0) >= 1);
  });

  test('every target failing gives a clear error naming the model and what was tried', async () => {
    primary.respondWith(failWith(503), failWith(503));
    secondary.respondWith(failWith(503), failWith(503));
    await assert.rejects(ask('all-fail'), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 503);
      assert.match(error.message, /'all-fail'/);
      assert.match(error.message, /a\/model-a/);
      assert.match(error.message, /b\/model-b/);
      return true;
    });
  });

  test('a stream cut off mid-way is metered with what was delivered', async () => {
    primary.respondWith(cutStreamAfter(4));
    // Found by what it is, not by being last: with sidecar workers, log lines reach the harness in no set order.
    const cutShortLines = () => gateway.sidecarLogLines().filter((line) => line.event === 'request' && line.model === 'lonely' && line.outcome === 'cut_short');
    const before = cutShortLines().length;
    const stream = await askStream('lonely');
    let text = '';
    await assert.rejects(async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    });
    assert.equal(text, MOCK_REPLY_WORDS.slice(0, 3).join(''));
    await waitFor('the cut-short log line', () => cutShortLines().length > before);
    const line = cutShortLines().at(-1)!;
    assert.equal(cutShortLines().length, before + 1, 'metered once');
    assert.equal(line.usage_estimated, true);
    assert.ok((line.completion_tokens as number) >= 3, `estimated ${String(line.completion_tokens)} completion tokens`);
    assert.ok((line.prompt_tokens as number) >= 1);
  });

  test('a single-target model (no attempt processor) is retried with the same provider request, and its tries are counted', async () => {
    primary.respondWith(failWith(503));
    const seen = primary.requests.length;
    const lonelyLines = () => gateway.sidecarLogLines().filter((line) => line.event === 'request' && line.model === 'lonely');
    const linesBefore = lonelyLines().length;
    const completion = await ask('lonely');
    assert.equal(completion.choices[0]?.message.content, MOCK_REPLY_WORDS.join(''));
    const [first, second] = primary.requests.slice(seen);
    assert.equal(primary.requests.length - seen, 2);
    // Written once by the router, replayed by Envoy: identical, authenticated, with a correct length.
    assert.equal(second!.body, first!.body);
    assert.equal(second!.headers.authorization, `Bearer ${KEY_A}`);
    assert.equal(second!.headers['content-length'], String(Buffer.byteLength(second!.body)));
    assert.equal(second!.json?.model, 'model-a');
    assert.equal(second!.headers['x-envoy-attempt-count'], undefined);
    await waitFor('the log line', () => lonelyLines().length > linesBefore);
    assert.deepEqual(lonelyLines().at(-1)!.attempts, ['a/model-a', 'a/model-a']);
  });

  test('retries, fallbacks and attempts are visible as metrics', async () => {
    primary.respondWith(failWith(503), failWith(503));
    await ask('metrics');
    await waitFor('the log line', () => lastLog().model === 'metrics');
    const metrics = await gateway.sidecarMetrics();
    assert.match(metrics, /llm_gateway_upstream_attempts_total\{gen_ai_request_model="metrics",gen_ai_provider_name="a"\} 2\n/);
    assert.match(metrics, /llm_gateway_upstream_attempts_total\{gen_ai_request_model="metrics",gen_ai_provider_name="b"\} 1\n/);
    assert.match(metrics, /llm_gateway_fallbacks_total\{gen_ai_request_model="metrics"\} 1\n/);
    const stats = await gateway.envoyStats();
    assert.equal(stats.get('cluster.model_metrics.upstream_rq_retry'), 2);
    assert.equal(stats.get('cluster.model_metrics.upstream_rq_retry_success'), 1);
  });

  test('the sidecar killed while requests flow: JSON 5xx, nothing forwarded without the key; it comes back without restarting Envoy', async () => {
    const latch = gate();
    const seen = primary.requests.length;
    primary.respondWith(streamHeldUntil(latch));
    const inFlight = (async () => {
      const stream = await askStream('lonely');
      for await (const chunk of stream) void chunk;
    })();
    await waitFor('the stream to reach the provider', () => primary.requests.length > seen);
    const forwarded = primary.requests.length + secondary.requests.length;
    await gateway.killSidecar('SIGKILL');
    await assert.rejects(inFlight, 'the in-flight stream is cut');
    latch.open();
    await assert.rejects(ask('retry'), (error: unknown) => error instanceof OpenAI.APIError && error.status === 503);
    assert.equal(primary.requests.length + secondary.requests.length, forwarded);
    await gateway.startSidecar();
    await waitFor('the gateway to serve again', async () => (await fetch(`${gateway.baseURL}/models`)).status === 200);
    await ask('retry');
    for (const request of [...primary.requests, ...secondary.requests]) {
      assert.match(String(request.headers.authorization), /^Bearer sk-(primary-a|secondary-b)$/);
      for (const name of Object.keys(request.headers)) assert.ok(!/^(x-envoy-|x-forwarded-|x-gateway-)/.test(name), `${name} reached a provider`);
    }
  });

  test('SIGTERM drains: in-flight streams finish, then the sidecar exits', async () => {
    const latch = gate();
    primary.respondWith(streamHeldUntil(latch));
    const stream = await askStream('lonely');
    gateway.signalSidecar('SIGTERM');
    await waitFor('the sidecar to drain', async () => (await fetch(`http://127.0.0.1:${gateway.sidecarAdminPort}/healthz`).catch(() => undefined))?.status === 503);
    latch.open();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, MOCK_REPLY_WORDS.join(''), 'the in-flight stream completed during the drain');
    assert.equal(await gateway.sidecarExited(), 0);
    await gateway.startSidecar();
  });
});
