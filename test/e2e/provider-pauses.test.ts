import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { failWith } from '../support/faults.js';
import { MOCK_REPLY_WORDS, startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

/**
 * A provider's request to pause (Retry-After above retry_after_max, where Envoy alone would
 * fall back to its short backoff and hit the provider again) is honoured through the real
 * Envoy: within the request (no retry to that target), across fallback levels (the next
 * level answers at once), and for later requests (nothing reaches the target until the pause
 * has passed; a model with nowhere else to go is answered 429 with Retry-After).
 */
const KEY_A = 'sk-paused-a';
const KEY_B = 'sk-paused-b';

describe('a provider asking for a pause is left alone, through Envoy', () => {
  let primary: MockOpenAIUpstream;
  let secondary: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  let client: OpenAI;

  before(async () => {
    primary = await startMockOpenAIUpstream({ expectedKey: KEY_A });
    secondary = await startMockOpenAIUpstream({ expectedKey: KEY_B });
    gateway = await startGateway({
      providers: {
        a: { kind: 'openai', base_url: `http://127.0.0.1:${primary.port}/v1`, credential: { env: 'KEY_A' } },
        b: { kind: 'openai', base_url: `http://127.0.0.1:${secondary.port}/v1`, credential: { env: 'KEY_B' } },
      },
      // One model per scenario: a pause belongs to a model's target, so scenarios never share one.
      models: {
        solo: { provider: 'a', model: 'model-a' },
        chain: { fallback: [{ provider: 'a', model: 'model-a' }, { provider: 'b', model: 'model-b' }] },
        'all-paused': { fallback: [{ provider: 'a', model: 'model-a' }, { provider: 'b', model: 'model-b' }] },
        brief: { fallback: [{ provider: 'a', model: 'model-a' }, { provider: 'b', model: 'model-b' }] },
      },
      environment: { KEY_A, KEY_B },
      resilience: { attempts_per_level: 2, max_attempts: 4, backoff_base: '10ms', backoff_max: '50ms', retry_after_max: '5s' },
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
  const sentTo = (upstream: MockOpenAIUpstream, model: string) => upstream.requests.filter((request) => request.json?.model === model).length;

  /** Asserts the client got the gateway's 429 for a paused model, with a Retry-After within `maxSeconds`. */
  async function assertPaused(model: string, maxSeconds: number): Promise<void> {
    await assert.rejects(ask(model), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError, String(error));
      assert.equal(error.status, 429);
      assert.equal(error.code, 'provider_paused');
      assert.equal(error.type, 'rate_limit_error');
      assert.match(error.message, new RegExp(`'${model}'`));
      const retryAfter = Number(error.headers?.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= maxSeconds, `Retry-After ${String(error.headers?.get('retry-after'))}`);
      return true;
    });
  }

  test('one target: a 429 asking for 20 s is answered at once with Retry-After, and nothing more is sent to it', async () => {
    primary.respondWith(failWith(429, { 'retry-after': '20' }));
    const before = sentTo(primary, 'model-a');
    await assertPaused('solo', 20);
    assert.equal(sentTo(primary, 'model-a') - before, 1, 'Envoy did not retry the target that asked for quiet');
    // A later request during the pause: answered by the gateway, nothing reaches the provider.
    await assertPaused('solo', 20);
    assert.equal(sentTo(primary, 'model-a') - before, 1);
    const metrics = await gateway.sidecarMetrics();
    assert.match(metrics, /llm_gateway_target_pauses_total\{gen_ai_request_model="solo",target="a\/model-a"\} 1\n/);
  });

  test('a fallback chain: the paused level is skipped at once, for this request and the next ones', async () => {
    primary.respondWith(failWith(429, { 'retry-after': '20' }));
    const [aBefore, bBefore] = [sentTo(primary, 'model-a'), sentTo(secondary, 'model-b')];
    const first = await ask('chain');
    assert.equal(first.choices[0]?.message.content, MOCK_REPLY_WORDS.join(''));
    assert.equal(sentTo(primary, 'model-a') - aBefore, 1, 'no retry to the paused target');
    assert.equal(sentTo(secondary, 'model-b') - bBefore, 1, 'the next level answered');
    for (let index = 0; index < 3; index += 1) await ask('chain');
    assert.equal(sentTo(primary, 'model-a') - aBefore, 1, 'later requests skip the paused target');
    assert.equal(sentTo(secondary, 'model-b') - bBefore, 4);
  });

  test('every level paused: 429 with the soonest Retry-After, and neither provider hears more', async () => {
    primary.respondWith(failWith(429, { 'retry-after': '30' }));
    secondary.respondWith(failWith(429, { 'retry-after-ms': '20000' }));
    const [aBefore, bBefore] = [sentTo(primary, 'model-a'), sentTo(secondary, 'model-b')];
    await assertPaused('all-paused', 20);
    assert.equal(sentTo(primary, 'model-a') - aBefore, 1);
    assert.equal(sentTo(secondary, 'model-b') - bBefore, 1);
    await assertPaused('all-paused', 20);
    assert.equal(sentTo(primary, 'model-a') - aBefore, 1);
    assert.equal(sentTo(secondary, 'model-b') - bBefore, 1);
  });

  test('after the pause the target is used again, and never before', async () => {
    primary.respondWith(failWith(429, { 'retry-after': '2' }));
    const pausedAt = Date.now();
    const before = primary.requests.length;
    await ask('brief');
    // Keep asking until the primary is used again; every answer meanwhile comes from the fallback.
    await waitFor('the primary to be used again', async () => {
      await ask('brief');
      return primary.requests.length > before + 1;
    });
    const resumed = primary.requests[before + 1]!;
    assert.ok(resumed.receivedAt - pausedAt >= 2000, `the primary was asked again ${resumed.receivedAt - pausedAt} ms after it asked for 2 s`);
  });
});
