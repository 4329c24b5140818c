import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { ANTHROPIC_USAGE, startMockAnthropicUpstream, type MockAnthropicUpstream } from '../support/mock-anthropic-upstream.js';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { completion, MOCK_REPLY_WORDS, MOCK_USAGE, sendJson, startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';
import { seriesValue } from '../support/prometheus-text.js';
import { cutStreamAfter } from '../support/faults.js';

/**
 * The exact-match response cache through the real Envoy: a hit never reaches the provider,
 * is replayed in the client's format (stream or JSON, whichever way it was stored), stays
 * within its tenant, obeys the client's Cache-Control, and is not charged to the budget.
 */
const PROVIDER_KEY = 'sk-provider-cache';
const ADMIN_KEY = 'admin-secret-for-cache-tests-0123456789';
const secrets = { alpha: 'sk-test-cache-alpha-0123456789', beta: 'sk-test-cache-beta-0123456789', requests: 'sk-test-cache-requests-0123456789', tokens: 'sk-test-cache-tokens-0123456789' };
const OUTPUT_USD_PER_TOKEN = 0.001;
const REPLY = MOCK_REPLY_WORDS.join('');

describe('response cache through Envoy', () => {
  let upstream: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  let prompt = 0;
  const client = (secret = secrets.alpha) => new OpenAI({ apiKey: secret, baseURL: gateway.baseURL, maxRetries: 0 });
  /** A prompt no earlier test used, so each test starts from an empty cache for it. */
  const freshMessages = () => [{ role: 'user' as const, content: `question ${++prompt}` }];
  const admin = async (path: string) => (await fetch(`http://127.0.0.1:${gateway.sidecarAdminPort}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json() as Promise<any>;

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    gateway = await startGateway({
      providers: { mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'MOCK_KEY' } } },
      models: {
        'gpt-cached': { provider: 'mock', model: 'gpt-upstream', cache: { ttl: '10m' } },
        'gpt-plain': { provider: 'mock', model: 'gpt-upstream' },
      },
      environment: { MOCK_KEY: PROVIDER_KEY, ADMIN_KEY },
      governance: { mode: 'closed', admin_key: { env: 'ADMIN_KEY' } },
      prices: { 'mock/gpt-upstream': { input: 0, output: OUTPUT_USD_PER_TOKEN * 1e6 } },
      keys: [
        { alias: 'alpha', hash: hashKeySecret(secrets.alpha), requests_per_minute: 1000, budget: { usd: 100, period: 'daily' } },
        { alias: 'beta', hash: hashKeySecret(secrets.beta) },
        { alias: 'requests', hash: hashKeySecret(secrets.requests), requests_per_minute: 2 },
        { alias: 'tokens', hash: hashKeySecret(secrets.tokens), tokens_per_minute: 30 },
      ],
    });
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  beforeEach(() => upstream.resetScript());

  test('a repeated deterministic request is answered from the cache, without the provider, with its age', async () => {
    const messages = freshMessages();
    const before = upstream.requests.length;
    const first = await client().chat.completions.create({ model: 'gpt-cached', messages, temperature: 0 }).withResponse();
    assert.equal(first.response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(upstream.requests.length, before + 1);
    const second = await client().chat.completions.create({ model: 'gpt-cached', messages, temperature: 0 }).withResponse();
    assert.equal(second.response.headers.get('x-gateway-cache'), 'hit');
    assert.match(second.response.headers.get('age') ?? '', /^\d+$/);
    assert.equal(upstream.requests.length, before + 1, 'the hit never reached the provider');
    assert.equal(second.data.choices[0]!.message.content, REPLY);
    assert.equal(second.data.choices[0]!.finish_reason, 'stop');
    assert.equal(second.data.usage?.total_tokens, MOCK_USAGE.total_tokens);
    assert.notEqual(second.data.id, first.data.id, 'the hit has its own id');
    // Envoy's access log names the hit (the immediate response's details) with no cost.
    const hitId = second.response.headers.get('x-request-id')!;
    await waitFor('the hit in the sidecar log', () => gateway.sidecarLogs().split('\n').some((line) => line.includes(hitId) && line.includes('"event":"cache_hit"')), () => gateway.sidecarLogs().slice(-2000));
    await waitFor('the hit in the access log', () => gateway.envoyLogs().split('\n').some((line) => line.includes(hitId) && line.includes('gateway_cache_hit') && line.includes('"cost_usd":0')), () => gateway.envoyLogs().slice(-2000));

    // The same request in another key order and spacing, sent as raw JSON: the same entry.
    const raw = await fetch(`${gateway.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secrets.alpha}` },
      body: `{ "temperature": 0,\n  "messages": [{"content": ${JSON.stringify(messages[0]!.content)}, "role": "user"}], "model": "gpt-cached" }`,
    });
    assert.equal(raw.headers.get('x-gateway-cache'), 'hit');
    assert.equal(((await raw.json()) as any).choices[0].message.content, REPLY);
    assert.equal(upstream.requests.length, before + 1);
  });

  test('another key never gets the first key\'s answer', async () => {
    const messages = freshMessages();
    await client(secrets.alpha).chat.completions.create({ model: 'gpt-cached', messages, temperature: 0 });
    const before = upstream.requests.length;
    const other = await client(secrets.beta).chat.completions.create({ model: 'gpt-cached', messages, temperature: 0 }).withResponse();
    assert.equal(other.response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(upstream.requests.length, before + 1);
  });

  test('a streamed answer is stored once and serves streamed and non-streamed requests alike', async () => {
    const messages = freshMessages();
    const before = upstream.requests.length;
    const live = await client().chat.completions.create({ model: 'gpt-cached', messages, temperature: 0, stream: true, stream_options: { include_usage: true } }).withResponse();
    assert.equal(live.response.headers.get('x-gateway-cache'), 'miss');
    let liveText = '';
    for await (const chunk of live.data) liveText += chunk.choices[0]?.delta.content ?? '';
    assert.equal(liveText, REPLY);
    assert.equal(upstream.requests.length, before + 1);
    assert.equal(upstream.requests.at(-1)!.json!.stream, true);

    const json = await client().chat.completions.create({ model: 'gpt-cached', messages, temperature: 0 }).withResponse();
    assert.equal(json.response.headers.get('x-gateway-cache'), 'hit', 'stored from a stream, served as JSON');
    assert.equal(json.data.choices[0]!.message.content, REPLY);
    assert.equal(json.data.usage?.completion_tokens, MOCK_USAGE.completion_tokens);

    // Replayed as a stream the SDK reads: role first, content, finish, the usage chunk it asked for, [DONE].
    const replay = await client().chat.completions.create({ model: 'gpt-cached', messages, temperature: 0, stream: true, stream_options: { include_usage: true } }).withResponse();
    assert.equal(replay.response.headers.get('x-gateway-cache'), 'hit');
    assert.match(replay.response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const chunks = [];
    for await (const chunk of replay.data) chunks.push(chunk);
    assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
    assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join(''), REPLY);
    assert.equal(chunks.at(-2)!.choices[0]!.finish_reason, 'stop');
    assert.equal(chunks.at(-1)!.usage?.total_tokens, MOCK_USAGE.total_tokens);

    // Without stream_options.include_usage there is no usage chunk.
    const quiet = client().chat.completions.stream({ model: 'gpt-cached', messages, temperature: 0 });
    const final = await quiet.finalChatCompletion();
    assert.equal(final.choices[0]!.message.content, REPLY);
    assert.equal(final.usage, undefined);
    assert.equal(upstream.requests.length, before + 1, 'only the first request reached the provider');
  });

  test('a JSON answer is replayed as a stream the SDK accumulates to the same answer', async () => {
    const messages = freshMessages();
    const original = await client().chat.completions.create({ model: 'gpt-cached', messages, seed: 7 });
    const before = upstream.requests.length;
    const stream = client().chat.completions.stream({ model: 'gpt-cached', messages, seed: 7, stream_options: { include_usage: true } });
    const final = await stream.finalChatCompletion();
    assert.equal(upstream.requests.length, before);
    assert.equal(final.choices[0]!.message.content, original.choices[0]!.message.content);
    assert.equal(final.choices[0]!.finish_reason, original.choices[0]!.finish_reason);
    // The usage fields the gateway meters (the neutral usage: no audio or prediction counts).
    const metered = (usage: OpenAI.CompletionUsage | undefined) => [usage?.prompt_tokens, usage?.completion_tokens, usage?.total_tokens, usage?.prompt_tokens_details?.cached_tokens, usage?.completion_tokens_details?.reasoning_tokens];
    assert.deepEqual(metered(final.usage), metered(original.usage));
  });

  test('Cache-Control no-store and x-gateway-cache: bypass neither read nor write; no-cache refreshes', async () => {
    const messages = freshMessages();
    const ask = (headers: Record<string, string> = {}) => client().chat.completions.create({ model: 'gpt-cached', messages, temperature: 0 }, { headers }).withResponse();
    const before = upstream.requests.length;
    assert.equal((await ask({ 'cache-control': 'no-store' })).response.headers.get('x-gateway-cache'), 'bypass');
    assert.equal((await ask({ 'x-gateway-cache': 'bypass' })).response.headers.get('x-gateway-cache'), 'bypass');
    assert.equal(upstream.requests.at(-1)!.headers['x-gateway-cache'], undefined, 'the gateway\'s own header never reaches the provider');
    assert.equal(upstream.requests.length, before + 2);
    assert.equal((await ask()).response.headers.get('x-gateway-cache'), 'miss', 'nothing was stored by the bypassed requests');
    assert.equal((await ask()).response.headers.get('x-gateway-cache'), 'hit');
    upstream.respondWith((request, response) => sendJson(response, 200, completion(String(request.json!.model), 'A fresher answer.')));
    const refreshed = await ask({ 'cache-control': 'no-cache' });
    assert.equal(refreshed.response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(refreshed.data.choices[0]!.message.content, 'A fresher answer.');
    assert.equal(upstream.requests.length, before + 4);
    const after = await ask();
    assert.equal(after.response.headers.get('x-gateway-cache'), 'hit');
    assert.equal(after.data.choices[0]!.message.content, 'A fresher answer.', 'the refresh replaced the entry');
  });

  test('non-deterministic requests bypass the cache; models without cache say nothing', async () => {
    const messages = freshMessages();
    const before = upstream.requests.length;
    for (let round = 0; round < 2; round += 1) {
      const sampled = await client().chat.completions.create({ model: 'gpt-cached', messages, temperature: 0.7 }).withResponse();
      assert.equal(sampled.response.headers.get('x-gateway-cache'), 'bypass');
      const plain = await client().chat.completions.create({ model: 'gpt-plain', messages, temperature: 0 }).withResponse();
      assert.equal(plain.response.headers.get('x-gateway-cache'), null);
    }
    assert.equal(upstream.requests.length, before + 4);
  });

  test('a content-filtered answer and an error are never stored', async () => {
    const messages = freshMessages();
    const filtered = { ...completion('gpt-upstream'), choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null }, logprobs: null, finish_reason: 'content_filter' }] };
    upstream.respondWith(
      (_request, response) => sendJson(response, 200, filtered),
      (_request, response) => sendJson(response, 400, { error: { message: 'Bad.', type: 'invalid_request_error', param: null, code: null } }),
    );
    const before = upstream.requests.length;
    await client().chat.completions.create({ model: 'gpt-cached', messages, temperature: 0 });
    await assert.rejects(client().chat.completions.create({ model: 'gpt-cached', messages, temperature: 0 }), OpenAI.BadRequestError);
    const third = await client().chat.completions.create({ model: 'gpt-cached', messages, temperature: 0 }).withResponse();
    assert.equal(third.response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(upstream.requests.length, before + 3);
  });

  test('a stream cut short is never stored', async () => {
    const messages = freshMessages();
    upstream.respondWith(cutStreamAfter(3));
    const before = upstream.requests.length;
    let text = '';
    try {
      const stream = await client().chat.completions.create({ model: 'gpt-cached', messages, temperature: 0, stream: true });
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    } catch {
      // The SDK may raise on the cut, or just end: either way the answer is incomplete.
    }
    assert.notEqual(text, REPLY);
    const next = await client().chat.completions.create({ model: 'gpt-cached', messages, temperature: 0 }).withResponse();
    assert.equal(next.response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(next.data.choices[0]!.message.content, REPLY);
    assert.equal(upstream.requests.length, before + 2);
  });

  test('a hit is not charged to the budget and is metered as a saving', async () => {
    const messages = freshMessages();
    const spent = async () => {
      await waitFor('settled', async () => (await admin('/admin/keys/config:alpha')).usage.budget.reservedUsd === 0);
      return (await admin('/admin/keys/config:alpha')).usage.budget.spentUsd as number;
    };
    const metricsBefore = await gateway.sidecarMetrics();
    const start = await spent();
    const miss = await client().chat.completions.create({ model: 'gpt-cached', messages, temperature: 0 }).withResponse();
    const afterMiss = await spent();
    assert.ok(Math.abs(afterMiss - start - MOCK_USAGE.completion_tokens * OUTPUT_USD_PER_TOKEN) < 1e-9, `the miss was charged: ${afterMiss - start}`);
    const hit = await client().chat.completions.create({ model: 'gpt-cached', messages, temperature: 0 }).withResponse();
    assert.equal(hit.response.headers.get('x-gateway-cache'), 'hit');
    assert.equal(await spent(), afterMiss, 'the hit cost nothing');
    assert.equal(hit.data.choices[0]!.message.content, miss.data.choices[0]!.message.content);
    const metrics = await gateway.sidecarMetrics();
    const delta = (name: string, labels: Record<string, string>) => seriesValue(metrics, name, labels) - seriesValue(metricsBefore, name, labels);
    assert.equal(delta('llm_gateway_cache_lookups_total', { gen_ai_request_model: 'gpt-cached', result: 'hit' }), 1);
    assert.equal(delta('llm_gateway_cache_lookups_total', { gen_ai_request_model: 'gpt-cached', result: 'miss' }), 1);
    assert.ok(Math.abs(delta('llm_gateway_cache_saved_usd_total', { gen_ai_request_model: 'gpt-cached' }) - MOCK_USAGE.completion_tokens * OUTPUT_USD_PER_TOKEN) < 1e-9);
    assert.equal(delta('llm_gateway_cache_saved_tokens_total', { gen_ai_request_model: 'gpt-cached', gen_ai_token_type: 'output' }), MOCK_USAGE.completion_tokens);
    assert.ok(seriesValue(metrics, 'llm_gateway_cache_lookup_duration_seconds_count', { gen_ai_request_model: 'gpt-cached' }) > 0);
  });

  test('a hit counts for requests per minute', async () => {
    const messages = freshMessages();
    const ask = () => client(secrets.requests).chat.completions.create({ model: 'gpt-cached', messages, temperature: 0 }).withResponse();
    assert.equal((await ask()).response.headers.get('x-gateway-cache'), 'miss');
    assert.equal((await ask()).response.headers.get('x-gateway-cache'), 'hit');
    await assert.rejects(ask(), (error: unknown) => error instanceof OpenAI.RateLimitError && /'requests': 2 requests per minute/.test(error.message));
  });

  test('a hit does not count toward tokens per minute', async () => {
    const messages = freshMessages();
    const ask = (content = messages) => client(secrets.tokens).chat.completions.create({ model: 'gpt-cached', messages: content, temperature: 0 }).withResponse();
    assert.equal((await ask()).response.headers.get('x-gateway-cache'), 'miss'); // 18 of 30 tokens
    // Were hits counted, the first would take the window to 36 and the second be refused.
    for (let round = 0; round < 3; round += 1) assert.equal((await ask()).response.headers.get('x-gateway-cache'), 'hit');
    await ask(freshMessages()); // 36: admitted while the window held 18
    await assert.rejects(ask(freshMessages()), (error: unknown) => error instanceof OpenAI.RateLimitError && /'tokens': 30 tokens per minute/.test(error.message));
  });
});

describe('response cache for Anthropic Messages through Envoy', () => {
  const ANTHROPIC_KEY = 'sk-ant-provider-key-cache-e2e';
  const OPENAI_KEY = 'sk-openai-provider-key-cache-e2e';
  const secret = 'sk-gw-cache-messages-0123456789';
  let anthropic: MockAnthropicUpstream;
  let openai: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  let client: Anthropic;
  const weatherTool: Anthropic.Tool = { name: 'get_weather', description: 'Current weather in a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };

  before(async () => {
    anthropic = await startMockAnthropicUpstream({ expectedKey: ANTHROPIC_KEY });
    openai = await startMockOpenAIUpstream({ expectedKey: OPENAI_KEY });
    gateway = await startGateway({
      providers: {
        anthropic: { kind: 'anthropic', base_url: `http://127.0.0.1:${anthropic.port}/v1`, credential: { env: 'ANTHROPIC_API_KEY' } },
        openai: { kind: 'openai', base_url: `http://127.0.0.1:${openai.port}/v1`, credential: { env: 'OPENAI_API_KEY' } },
      },
      models: {
        // Messages requests have no temperature since API version 2026-10-21, and no seed: none is "deterministic".
        claude: { provider: 'anthropic', model: 'claude-haiku-4-5', cache: { ttl: '5m', deterministic_only: false } },
        gpt: { provider: 'openai', model: 'gpt-4o-mini', cache: { ttl: '5m', deterministic_only: false } },
      },
      environment: { ANTHROPIC_API_KEY: ANTHROPIC_KEY, OPENAI_API_KEY: OPENAI_KEY },
      keys: [{ alias: 'dev', hash: hashKeySecret(secret) }],
    });
    client = new Anthropic({ baseURL: `http://127.0.0.1:${gateway.listenerPort}`, maxRetries: 0, apiKey: secret, authToken: null });
  });

  after(async () => {
    await gateway?.stop();
    await anthropic?.close();
    await openai?.close();
  });

  test('an Anthropic stream with a tool call is stored and served as a message and as a stream', async () => {
    const request = { model: 'claude', max_tokens: 256, tools: [weatherTool], messages: [{ role: 'user' as const, content: 'What is the weather in Paris?' }] };
    const before = anthropic.requests.length;
    const live = await client.messages.stream(request).finalMessage();
    assert.equal(anthropic.requests.length, before + 1);
    assert.deepEqual(live.content.map((block) => block.type), ['text', 'tool_use']);

    const { data: message, response } = await client.messages.create(request).withResponse();
    assert.equal(response.headers.get('x-gateway-cache'), 'hit');
    assert.equal(anthropic.requests.length, before + 1, 'the hit never reached Anthropic');
    assert.deepEqual(message.content.map((block) => (block.type === 'text' ? block.text : block.type === 'tool_use' ? block.input : block.type)), live.content.map((block) => (block.type === 'text' ? block.text : block.type === 'tool_use' ? block.input : block.type)));
    assert.equal(message.stop_reason, 'tool_use');
    assert.equal(message.usage.output_tokens, live.usage.output_tokens);
    assert.equal(message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0) + (message.usage.cache_creation_input_tokens ?? 0), live.usage.input_tokens + (live.usage.cache_read_input_tokens ?? 0) + (live.usage.cache_creation_input_tokens ?? 0));
    assert.ok(live.usage.output_tokens >= ANTHROPIC_USAGE.output_tokens);

    const replayed = await client.messages.stream(request).finalMessage();
    assert.equal(anthropic.requests.length, before + 1);
    assert.deepEqual(replayed.content.map((block) => block.type), ['text', 'tool_use']);
    assert.equal(replayed.stop_reason, 'tool_use');
  });

  test('an OpenAI-compatible model answering a Messages client: JSON stored, replayed as an Anthropic stream', async () => {
    const request = { model: 'gpt', max_tokens: 64, messages: [{ role: 'user' as const, content: 'Say hello' }] };
    const before = openai.requests.length;
    const first = await client.messages.create(request).withResponse();
    assert.equal(first.response.headers.get('x-gateway-cache'), 'miss');
    const stream = await client.messages.stream(request).finalMessage();
    assert.equal(openai.requests.length, before + 1);
    assert.equal(stream.content[0]?.type === 'text' && stream.content[0].text, REPLY);
    assert.equal(stream.stop_reason, 'end_turn');
    // A Messages answer and a chat completion of the same model are different entries.
    const chat = await new OpenAI({ apiKey: secret, baseURL: gateway.baseURL, maxRetries: 0 }).chat.completions.create({ model: 'gpt', max_tokens: 64, temperature: 0, messages: [{ role: 'user', content: 'Say hello' }] }).withResponse();
    assert.equal(chat.response.headers.get('x-gateway-cache'), 'miss');
  });
});
