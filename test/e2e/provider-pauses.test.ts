import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PACKAGE_ROOT, startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { startMockAnthropicUpstream, type MockAnthropicUpstream } from '../support/mock-anthropic-upstream.js';
import { startMockGeminiUpstream, type MockGeminiUpstream } from '../support/mock-gemini-upstream.js';
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
const ANTHROPIC_KEY = 'sk-ant-paused';
const GEMINI_KEY = 'AIza-paused';
/** Recorded provider failures: Anthropic's 529 overloaded_error, Gemini's 429 whose RetryInfo asks for 34.4 s. */
const recorded = (path: string) => readFileSync(resolve(PACKAGE_ROOT, 'test/fixtures', path), 'utf8');

describe('a provider asking for a pause is left alone, through Envoy', () => {
  let primary: MockOpenAIUpstream;
  let secondary: MockOpenAIUpstream;
  let anthropic: MockAnthropicUpstream;
  let gemini: MockGeminiUpstream;
  let gateway: GatewayHarness;
  let client: OpenAI;

  before(async () => {
    primary = await startMockOpenAIUpstream({ expectedKey: KEY_A });
    secondary = await startMockOpenAIUpstream({ expectedKey: KEY_B });
    anthropic = await startMockAnthropicUpstream({ expectedKey: ANTHROPIC_KEY });
    gemini = await startMockGeminiUpstream({ expectedKey: GEMINI_KEY });
    gateway = await startGateway({
      providers: {
        a: { kind: 'openai', base_url: `http://127.0.0.1:${primary.port}/v1`, credential: { env: 'KEY_A' } },
        b: { kind: 'openai', base_url: `http://127.0.0.1:${secondary.port}/v1`, credential: { env: 'KEY_B' } },
        anthropic: { kind: 'anthropic', base_url: `http://127.0.0.1:${anthropic.port}/v1`, credential: { env: 'ANTHROPIC_API_KEY' } },
        gemini: { kind: 'gemini', base_url: `http://127.0.0.1:${gemini.port}/v1beta`, credential: { env: 'GEMINI_API_KEY' } },
      },
      // One model per scenario: a pause belongs to a model's target, so scenarios never share one.
      models: {
        solo: { provider: 'a', model: 'model-a' },
        chain: { fallback: [{ provider: 'a', model: 'model-a' }, { provider: 'b', model: 'model-b' }] },
        'all-paused': { fallback: [{ provider: 'a', model: 'model-a' }, { provider: 'b', model: 'model-b' }] },
        brief: { fallback: [{ provider: 'a', model: 'model-a' }, { provider: 'b', model: 'model-b' }] },
        overloaded: { fallback: [{ provider: 'anthropic', model: 'claude-haiku-4-5' }, { provider: 'b', model: 'model-b' }] },
        'gemini-chain': { fallback: [{ provider: 'gemini', model: 'gemini-2.5-flash' }, { provider: 'b', model: 'model-b' }] },
        'gemini-solo': { provider: 'gemini', model: 'gemini-2.5-flash' },
      },
      environment: { KEY_A, KEY_B, ANTHROPIC_API_KEY: ANTHROPIC_KEY, GEMINI_API_KEY: GEMINI_KEY },
      resilience: { attempts_per_level: 2, max_attempts: 4, backoff_base: '10ms', backoff_max: '50ms', retry_after_max: '5s', overloaded_pause: '20s' },
    });
    client = new OpenAI({ apiKey: 'sk-client', baseURL: gateway.baseURL, maxRetries: 0 });
  });

  after(async () => {
    await gateway?.stop();
    await Promise.all([primary?.close(), secondary?.close(), anthropic?.close(), gemini?.close()]);
    assert.deepEqual([...(anthropic?.problems ?? []), ...(gemini?.problems ?? [])], [], 'every request met the provider rules');
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

  test("Anthropic's 529 overloaded pauses it for overloaded_pause: the next level answers, now and for later requests", async () => {
    anthropic.failNext({ status: 529, body: recorded('anthropic/error-529-overloaded.json') });
    const [anthropicBefore, bBefore] = [anthropic.requests.length, sentTo(secondary, 'model-b')];
    for (let index = 0; index < 3; index += 1) {
      const completion = await ask('overloaded');
      assert.equal(completion.choices[0]?.message.content, MOCK_REPLY_WORDS.join(''));
    }
    assert.equal(anthropic.requests.length - anthropicBefore, 1, 'the overloaded provider heard nothing more');
    assert.equal(sentTo(secondary, 'model-b') - bBefore, 3);
  });

  test("Gemini's RetryInfo (in the error body only) pauses it: the next level answers, now and for later requests", async () => {
    gemini.failNext({ status: 429, body: recorded('gemini/error-429.json') });
    const [geminiBefore, bBefore] = [gemini.requests.length, sentTo(secondary, 'model-b')];
    for (let index = 0; index < 3; index += 1) {
      const completion = await ask('gemini-chain');
      assert.equal(completion.choices[0]?.message.content, MOCK_REPLY_WORDS.join(''));
    }
    assert.equal(gemini.requests.length - geminiBefore, 1);
    assert.equal(sentTo(secondary, 'model-b') - bBefore, 3);
  });

  test("Gemini alone: its RetryInfo becomes the client's Retry-After at once, and nothing more is sent", async () => {
    gemini.failNext({ status: 429, body: recorded('gemini/error-429.json') });
    const before = gemini.requests.length;
    await assertPaused('gemini-solo', 35);
    assert.equal(gemini.requests.length - before, 1);
    await assertPaused('gemini-solo', 35);
    assert.equal(gemini.requests.length - before, 1);
  });
});
