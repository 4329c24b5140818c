import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { get_encoding } from 'tiktoken';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { startGateway, type GatewayHarness } from '../support/gateway-harness.js';
import { freePort } from '../support/free-port.js';
import { ANTHROPIC_COUNTED_TOKENS, ANTHROPIC_THINKING_SIGNATURE, ANTHROPIC_THINKING_TOKENS, ANTHROPIC_USAGE, startMockAnthropicUpstream, type MockAnthropicUpstream } from '../support/mock-anthropic-upstream.js';
import { GEMINI_USAGE, startMockGeminiUpstream, type MockGeminiUpstream } from '../support/mock-gemini-upstream.js';
import { MOCK_USAGE, sendJson, startMockOpenAIUpstream, type MockOpenAIUpstream, type Responder } from '../support/mock-openai-upstream.js';
import { cutStreamAfter } from '../support/faults.js';
import { seriesValue } from '../support/prometheus-text.js';

/**
 * POST /v1/messages through the real Envoy, with the official Anthropic SDK as the client:
 * passed through to Anthropic (bytes untouched, usage metered, cache counts included), and
 * translated for an OpenAI-compatible model, whole and streamed, with a tool round trip.
 * Every refusal is in Anthropic's error shape with the status the SDK maps.
 */
const ANTHROPIC_KEY = 'sk-ant-provider-key-messages-e2e';
const OPENAI_KEY = 'sk-openai-provider-key-messages-e2e';
const GEMINI_KEY = 'AIza-gemini-provider-key-messages-e2e';
const secrets = {
  dev: 'sk-gw-messages-dev-0123456789',
  limited: 'sk-gw-messages-limited-0123456789',
  budget: 'sk-gw-messages-budget-0123456789',
  narrow: 'sk-gw-messages-narrow-0123456789',
};

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city'] },
};

/** Anthropic's prompt, as the gateway meters it: the three disjoint input counts. */
const ANTHROPIC_PROMPT = ANTHROPIC_USAGE.input_tokens + ANTHROPIC_USAGE.cache_creation_input_tokens + ANTHROPIC_USAGE.cache_read_input_tokens;

describe('Anthropic Messages through Envoy', () => {
  let anthropic: MockAnthropicUpstream;
  let openai: MockOpenAIUpstream;
  let gemini: MockGeminiUpstream;
  let gateway: GatewayHarness;
  let client: Anthropic;

  before(async () => {
    anthropic = await startMockAnthropicUpstream({ expectedKey: ANTHROPIC_KEY });
    openai = await startMockOpenAIUpstream({ expectedKey: OPENAI_KEY });
    gemini = await startMockGeminiUpstream({ expectedKey: GEMINI_KEY });
    const nothingListens = await freePort();
    gateway = await startGateway({
      providers: {
        anthropic: { kind: 'anthropic', base_url: `http://127.0.0.1:${anthropic.port}/v1`, credential: { env: 'ANTHROPIC_API_KEY' } },
        openai: { kind: 'openai', base_url: `http://127.0.0.1:${openai.port}/v1`, credential: { env: 'OPENAI_API_KEY' } },
        gemini: { kind: 'gemini', base_url: `http://127.0.0.1:${gemini.port}/v1beta`, credential: { env: 'GEMINI_API_KEY' } },
        'anthropic-down': { kind: 'anthropic', base_url: `http://127.0.0.1:${nothingListens}/v1`, credential: { env: 'ANTHROPIC_API_KEY' } },
      },
      models: {
        claude: { provider: 'anthropic', model: 'claude-haiku-4-5' },
        gpt: { provider: 'openai', model: 'gpt-4o-mini' },
        // Takes reasoning controls (config/capabilities.yaml); gpt-4o-mini does not.
        reasoner: { provider: 'openai', model: 'o4-mini' },
        flash: { provider: 'gemini', model: 'gemini-2.5-flash' },
        'claude-or-gpt': { fallback: [{ provider: 'anthropic-down', model: 'claude-haiku-4-5' }, { provider: 'openai', model: 'gpt-4o-mini' }] },
      },
      environment: { ANTHROPIC_API_KEY: ANTHROPIC_KEY, OPENAI_API_KEY: OPENAI_KEY, GEMINI_API_KEY: GEMINI_KEY },
      resilience: { backoff_base: '10ms', backoff_max: '20ms' },
      keys: [
        { alias: 'dev', hash: hashKeySecret(secrets.dev) },
        { alias: 'limited', hash: hashKeySecret(secrets.limited), requests_per_minute: 1 },
        { alias: 'budget', hash: hashKeySecret(secrets.budget), budget: { usd: 0.000001, period: 'daily' } },
        { alias: 'narrow', hash: hashKeySecret(secrets.narrow), models: ['gpt'] },
      ],
      prices: { 'anthropic/claude-haiku-4-5': { input: 1, output: 5 } },
    });
    client = anthropicClient(secrets.dev);
  });

  after(async () => {
    await gateway?.stop();
    await anthropic?.close();
    await openai?.close();
    await gemini?.close();
  });

  function anthropicClient(key: string | null, options: { bearer?: boolean } = {}): Anthropic {
    const base = { baseURL: `http://127.0.0.1:${gateway.listenerPort}`, maxRetries: 0 };
    return options.bearer ? new Anthropic({ ...base, apiKey: null, authToken: key }) : new Anthropic({ ...base, apiKey: key, authToken: null });
  }

  async function metrics(): Promise<string> {
    return gateway.sidecarMetrics();
  }

  describe('to an Anthropic model', () => {
    test('a message passes through: the provider key replaces the virtual key, the version headers reach Anthropic, the model is renamed', async () => {
      const before = anthropic.requests.length;
      const message = await client.messages.create(
        { model: 'claude', max_tokens: 256, messages: [{ role: 'user', content: 'Hello there' }], metadata: { user_id: 'user-42' } },
        { headers: { 'anthropic-beta': 'prompt-caching-2024-07-31' } },
      );
      // The mock's own id and model: the answer's bytes were not rewritten.
      assert.equal(message.id, 'msg_01MockNonStream');
      assert.equal(message.model, 'claude-haiku-4-5-20251001');
      assert.deepEqual(message.content, [{ type: 'text', text: 'Echo: Hello there' }]);
      assert.deepEqual(message.usage, ANTHROPIC_USAGE);

      assert.equal(anthropic.requests.length, before + 1);
      const sent = anthropic.requests.at(-1)!;
      assert.deepEqual(anthropic.problems, []);
      assert.equal(sent.path, '/v1/messages');
      assert.equal(sent.headers['x-api-key'], ANTHROPIC_KEY);
      assert.equal(sent.headers.authorization, undefined);
      assert.equal(sent.headers['anthropic-version'], '2026-10-21', 'the version the SDK sent');
      assert.equal(sent.headers['anthropic-beta'], 'prompt-caching-2024-07-31');
      assert.ok(!JSON.stringify(sent.headers).includes(secrets.dev), 'the virtual key never reaches the provider');
      assert.equal(sent.body.model, 'claude-haiku-4-5');
      assert.deepEqual(sent.body.metadata, { user_id: 'user-42' });
    });

    test('the virtual key is accepted as Authorization: Bearer too (Claude Code with ANTHROPIC_AUTH_TOKEN)', async () => {
      const message = await anthropicClient(secrets.dev, { bearer: true }).messages.create({ model: 'claude', max_tokens: 64, messages: [{ role: 'user', content: 'bearer' }] });
      assert.deepEqual(message.content, [{ type: 'text', text: 'Echo: bearer' }]);
      const sent = anthropic.requests.at(-1)!;
      assert.equal(sent.headers.authorization, undefined);
      assert.equal(sent.headers['x-api-key'], ANTHROPIC_KEY);
    });

    test('a streamed tool call and its tool_result round trip; each request metered with cache reads and writes', async () => {
      const tokensBefore = seriesValue(await metrics(), 'llm_gateway_key_tokens_total', { key_alias: 'dev', gen_ai_request_model: 'claude' });
      const cachedBefore = seriesValue(await metrics(), 'gen_ai_client_token_usage_sum', { gen_ai_request_model: 'claude', gen_ai_token_type: 'cached_input' });
      const writesBefore = seriesValue(await metrics(), 'gen_ai_client_token_usage_sum', { gen_ai_request_model: 'claude', gen_ai_token_type: 'cache_creation_input' });
      const question: Anthropic.MessageParam = { role: 'user', content: 'What is the weather in Paris?' };
      const stream = client.messages.stream({ model: 'claude', max_tokens: 256, tools: [weatherTool], messages: [question] });
      const jsonDeltas: string[] = [];
      stream.on('inputJson', (partial) => jsonDeltas.push(partial));
      const first = await stream.finalMessage();
      assert.equal(first.stop_reason, 'tool_use');
      const call = first.content.find((block) => block.type === 'tool_use');
      assert.ok(call && call.type === 'tool_use');
      assert.equal(call.name, 'get_weather');
      assert.deepEqual(call.input, { city: 'Paris', unit: 'celsius' });
      assert.ok(jsonDeltas.length > 1, 'the input arrived in input_json_delta pieces');

      const second = await client.messages.create({
        model: 'claude',
        max_tokens: 256,
        tools: [weatherTool],
        messages: [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '18C and sunny' }] }],
      });
      assert.deepEqual(second.content, [{ type: 'text', text: 'The weather is 18C and sunny.' }]);
      assert.deepEqual(anthropic.problems, []);

      // Metering happens as the response ends; the metrics endpoint may be read a moment before.
      const perRequest = ANTHROPIC_PROMPT + ANTHROPIC_USAGE.output_tokens;
      let text = '';
      await waitUntil(async () => {
        text = await metrics();
        return seriesValue(text, 'llm_gateway_key_tokens_total', { key_alias: 'dev', gen_ai_request_model: 'claude' }) === tokensBefore + 2 * perRequest;
      });
      assert.equal(seriesValue(text, 'gen_ai_client_token_usage_sum', { gen_ai_request_model: 'claude', gen_ai_token_type: 'cached_input' }), cachedBefore + 2 * ANTHROPIC_USAGE.cache_read_input_tokens);
      assert.equal(seriesValue(text, 'gen_ai_client_token_usage_sum', { gen_ai_request_model: 'claude', gen_ai_token_type: 'cache_creation_input' }), writesBefore + 2 * ANTHROPIC_USAGE.cache_creation_input_tokens);
    });

    test('thinking streams through with its signature; thinking tokens are metered as reasoning', async () => {
      const reasoningBefore = seriesValue(await metrics(), 'gen_ai_client_token_usage_sum', { gen_ai_request_model: 'claude', gen_ai_token_type: 'reasoning' });
      const message = await client.messages
        .stream({ model: 'claude', max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 }, messages: [{ role: 'user', content: 'Think about it' }] })
        .finalMessage();
      assert.deepEqual(message.content[0], { type: 'thinking', thinking: 'Thinking about: Think about it', signature: ANTHROPIC_THINKING_SIGNATURE });
      assert.equal(message.usage.output_tokens, ANTHROPIC_USAGE.output_tokens + ANTHROPIC_THINKING_TOKENS);
      await waitUntil(async () => seriesValue(await metrics(), 'gen_ai_client_token_usage_sum', { gen_ai_request_model: 'claude', gen_ai_token_type: 'reasoning' }) === reasoningBefore + ANTHROPIC_THINKING_TOKENS);
    });

    test("Anthropic's own error passes through in its shape", async () => {
      // A system role inside messages with content Anthropic refuses: the mock answers 400 as Anthropic would.
      const error = await refusal(client.messages.create({ model: 'claude', max_tokens: 64, messages: [{ role: 'user', content: '   ' }] }));
      assert.ok(error instanceof Anthropic.BadRequestError);
      assert.equal(error.status, 400);
      assert.equal((error.error as any).type, 'error');
      assert.equal((error.error as any).error.type, 'invalid_request_error');
      assert.match(String((error.error as any).error.message), /non-whitespace/);
    });
  });

  describe('refusals in Anthropic shape', () => {
    test('a key the gateway does not know: 401 authentication_error', async () => {
      const error = await refusal(anthropicClient('sk-gw-not-a-key').messages.create({ model: 'claude', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }));
      assert.ok(error instanceof Anthropic.AuthenticationError);
      assertAnthropicError(error, 'authentication_error', /API key/);
    });

    test('no key at all: 401 authentication_error (the SDK refuses to send without one, so a raw request)', async () => {
      const response = await fetch(`http://127.0.0.1:${gateway.listenerPort}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'claude', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(response.status, 401);
      const body = (await response.json()) as any;
      assert.equal(body.type, 'error');
      assert.equal(body.error.type, 'authentication_error');
      assert.match(body.error.message, /did not provide an API key/);
    });

    test('a model that does not exist: 404 not_found_error', async () => {
      const error = await refusal(client.messages.create({ model: 'claude-nonexistent', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }));
      assert.ok(error instanceof Anthropic.NotFoundError);
      assertAnthropicError(error, 'not_found_error', /claude-nonexistent/);
    });

    test('a model the key may not use: 403 permission_error', async () => {
      const error = await refusal(anthropicClient(secrets.narrow).messages.create({ model: 'claude', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }));
      assert.ok(error instanceof Anthropic.PermissionDeniedError);
      assertAnthropicError(error, 'permission_error', /may not use the model 'claude'/);
    });

    test('an invalid body: 400 invalid_request_error naming the field', async () => {
      const response = await fetch(`http://127.0.0.1:${gateway.listenerPort}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': secrets.dev, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(response.status, 400);
      const body = (await response.json()) as any;
      assert.equal(body.type, 'error');
      assert.equal(body.error.type, 'invalid_request_error');
      assert.match(body.error.message, /^max_tokens: /);
    });

    test('over the rate limit: 429 rate_limit_error', async () => {
      const limited = anthropicClient(secrets.limited);
      await limited.messages.create({ model: 'claude', max_tokens: 64, messages: [{ role: 'user', content: 'one' }] });
      const error = await refusal(limited.messages.create({ model: 'claude', max_tokens: 64, messages: [{ role: 'user', content: 'two' }] }));
      assert.ok(error instanceof Anthropic.RateLimitError);
      assertAnthropicError(error, 'rate_limit_error', /limited/);
    });

    test('over the budget: 402 billing_error', async () => {
      const error = await refusal(anthropicClient(secrets.budget).messages.create({ model: 'claude', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] }));
      assert.ok(error instanceof Anthropic.PaymentRequiredError);
      assertAnthropicError(error, 'billing_error', /budget/);
    });

    test('an unknown path under /v1/messages: 404 in Anthropic shape', async () => {
      const response = await fetch(`http://127.0.0.1:${gateway.listenerPort}/v1/messages/batches`, { method: 'GET', headers: { 'x-api-key': secrets.dev } });
      assert.equal(response.status, 404);
      const body = (await response.json()) as any;
      assert.equal(body.type, 'error');
      assert.equal(body.error.type, 'not_found_error');
    });
  });

  describe('to an OpenAI-compatible model', () => {
    test('a message is translated both ways', async () => {
      const message = await client.messages.create({ model: 'gpt', max_tokens: 128, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello' }], stop_sequences: ['END'] });
      assert.match(message.id, /^msg_/);
      assert.equal(message.type, 'message');
      assert.deepEqual(message.content, [{ type: 'text', text: 'Hello from the mock upstream.', citations: null }]);
      assert.equal(message.stop_reason, 'end_turn');
      assert.equal(message.usage.input_tokens, MOCK_USAGE.prompt_tokens - MOCK_USAGE.prompt_tokens_details.cached_tokens);
      assert.equal(message.usage.cache_read_input_tokens, MOCK_USAGE.prompt_tokens_details.cached_tokens);
      assert.equal(message.usage.output_tokens, MOCK_USAGE.completion_tokens);

      const sent = openai.requests.at(-1)!;
      assert.equal(sent.path, '/v1/chat/completions');
      assert.equal(sent.headers.authorization, `Bearer ${OPENAI_KEY}`);
      assert.equal(sent.headers['x-api-key'], undefined);
      assert.equal(sent.headers['anthropic-version'], undefined);
      assert.equal(sent.json?.model, 'gpt-4o-mini');
      assert.deepEqual(sent.json?.messages, [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ]);
      assert.deepEqual(sent.json?.stop, ['END']);
      assert.equal(sent.json?.max_completion_tokens, 128);
    });

    test('a tool call and its tool_result round trip', async () => {
      openai.respondWith(toolCallCompletion, textCompletion('It is 18C in Paris.'));
      const question: Anthropic.MessageParam = { role: 'user', content: 'What is the weather in Paris?' };
      const first = await client.messages.create({ model: 'gpt', max_tokens: 128, tools: [weatherTool], tool_choice: { type: 'auto' }, messages: [question] });
      assert.equal(first.stop_reason, 'tool_use');
      const call = first.content.find((block) => block.type === 'tool_use');
      assert.ok(call && call.type === 'tool_use');
      assert.equal(call.id, 'call_weather_1');
      assert.deepEqual(call.input, { city: 'Paris' });
      const offered = openai.requests.at(-1)!.json as any;
      assert.deepEqual(offered.tools, [{ type: 'function', function: { name: 'get_weather', description: weatherTool.description, parameters: weatherTool.input_schema } }]);
      assert.equal(offered.tool_choice, 'auto');

      const second = await client.messages.create({
        model: 'gpt',
        max_tokens: 128,
        tools: [weatherTool],
        messages: [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '18C', is_error: false }] }],
      });
      assert.deepEqual(second.content, [{ type: 'text', text: 'It is 18C in Paris.', citations: null }]);
      const sent = openai.requests.at(-1)!.json as any;
      assert.equal(sent.messages[1].role, 'assistant');
      assert.deepEqual(sent.messages[1].tool_calls, [{ id: 'call_weather_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
      assert.deepEqual(sent.messages[2], { role: 'tool', tool_call_id: 'call_weather_1', content: '18C' });
    });

    test('a streamed answer with tool-call deltas becomes Anthropic events', async () => {
      openai.respondWith(streamedToolCall);
      const stream = client.messages.stream({ model: 'gpt', max_tokens: 128, tools: [weatherTool], messages: [{ role: 'user', content: 'Weather in Paris?' }] });
      const events: string[] = [];
      const jsonDeltas: string[] = [];
      stream.on('streamEvent', (event) => events.push(event.type));
      stream.on('inputJson', (partial) => jsonDeltas.push(partial));
      const message = await stream.finalMessage();
      assert.equal(events[0], 'message_start');
      assert.equal(events.at(-1), 'message_stop');
      assert.deepEqual(jsonDeltas, ['{"city"', ':"Paris"}']);
      assert.equal(message.stop_reason, 'tool_use');
      assert.equal(message.content.length, 2);
      assert.deepEqual(message.content[0], { type: 'text', text: 'Checking.', citations: null });
      const call = message.content[1]!;
      assert.ok(call.type === 'tool_use');
      assert.equal(call.id, 'call_weather_2');
      assert.deepEqual(call.input, { city: 'Paris' });
      assert.equal(message.usage.output_tokens, MOCK_USAGE.completion_tokens);
      const sent = openai.requests.at(-1)!.json as any;
      assert.equal(sent.stream, true);
      assert.deepEqual(sent.stream_options, { include_usage: true });
    });

    test('an image and a thinking budget become an image_url part and reasoning_effort', async () => {
      const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
      const message = await client.messages.create({
        model: 'reasoner',
        max_tokens: 16000,
        thinking: { type: 'enabled', budget_tokens: 10000 },
        messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }, { type: 'text', text: 'What is this?' }] }],
      });
      assert.equal(message.stop_reason, 'end_turn');
      const sent = openai.requests.at(-1)!.json as any;
      assert.deepEqual(sent.messages[0].content, [
        { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
        { type: 'text', text: 'What is this?' },
      ]);
      assert.equal(sent.reasoning_effort, 'medium');
      assert.equal(sent.thinking, undefined);
    });

    test('a stream the provider cuts is metered once, with what was delivered', async () => {
      const counted = async () => seriesValue(await metrics(), 'gen_ai_client_token_usage_count', { gen_ai_request_model: 'gpt', gen_ai_token_type: 'input' });
      const before = await counted();
      openai.respondWith(cutStreamAfter(3));
      const texts: string[] = [];
      const stream = client.messages.stream({ model: 'gpt', max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }] });
      stream.on('text', (text) => texts.push(text));
      const outcome = await stream.finalMessage().then(
        () => 'finished',
        () => 'failed',
      );
      assert.equal(outcome, 'failed', 'a cut stream must not look finished');
      assert.equal(texts.join(''), 'Hello from', 'the text delivered before the cut');
      await waitUntil(async () => (await counted()) === before + 1);
      // A later request is metered on its own: the cut one was not counted again meanwhile.
      await client.messages.create({ model: 'gpt', max_tokens: 16, messages: [{ role: 'user', content: 'again' }] });
      await waitUntil(async () => (await counted()) === before + 2);
    });

    test("the provider's error reaches the client in Anthropic shape", async () => {
      openai.respondWith((_request, response) =>
        sendJson(response, 400, { error: { message: "Invalid 'messages[0].content': string too long.", type: 'invalid_request_error', param: 'messages[0].content', code: 'string_above_max_length' } }),
      );
      const error = await refusal(client.messages.create({ model: 'gpt', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }));
      assert.ok(error instanceof Anthropic.BadRequestError);
      assertAnthropicError(error, 'invalid_request_error', /string too long/);
    });

    test('what the target cannot honour is refused with a 400 naming it', async () => {
      const error = await refusal(
        client.messages.create({ model: 'gpt', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] }),
      );
      assert.ok(error instanceof Anthropic.BadRequestError);
      assertAnthropicError(error, 'invalid_request_error', /tools/);
    });
  });

  describe('to a Gemini model', () => {
    test('a message, and a streamed tool call with its tool_result round trip', async () => {
      const text = await client.messages.create({ model: 'flash', max_tokens: 128, messages: [{ role: 'user', content: 'Hello Gemini' }] });
      assert.deepEqual(text.content, [{ type: 'text', text: 'Echo: Hello Gemini', citations: null }]);
      assert.equal(text.stop_reason, 'end_turn');
      assert.equal(text.usage.cache_read_input_tokens, GEMINI_USAGE.cachedContentTokenCount);
      assert.equal(text.usage.output_tokens, GEMINI_USAGE.candidatesTokenCount + GEMINI_USAGE.thoughtsTokenCount);

      const question: Anthropic.MessageParam = { role: 'user', content: 'What is the weather in Paris?' };
      const first = await client.messages.stream({ model: 'flash', max_tokens: 128, tools: [weatherTool], messages: [question] }).finalMessage();
      assert.equal(first.stop_reason, 'tool_use');
      const call = first.content.find((block) => block.type === 'tool_use');
      assert.ok(call && call.type === 'tool_use');
      assert.deepEqual(call.input, { city: 'Paris', unit: 'celsius' });
      const second = await client.messages.create({
        model: 'flash',
        max_tokens: 128,
        tools: [weatherTool],
        messages: [question, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '18C' }] }],
      });
      assert.equal(second.content[0]?.type, 'text');
      assert.match((second.content[0] as Anthropic.TextBlock).text, /18C/);
      assert.deepEqual(gemini.problems, []);
      assert.equal(gemini.requests.at(-1)!.headers['x-goog-api-key'], GEMINI_KEY);
    });
  });

  describe('fallback', () => {
    test('from an Anthropic target that is down to an OpenAI-kind model, each attempt written for its own target', async () => {
      const stream = client.messages.stream({ model: 'claude-or-gpt', max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }] });
      const message = await stream.finalMessage();
      assert.equal(message.content.map((block) => (block.type === 'text' ? block.text : '')).join(''), 'Hello from the mock upstream.');
      assert.equal(message.stop_reason, 'end_turn');
      const sent = openai.requests.at(-1)!;
      assert.equal(sent.json?.model, 'gpt-4o-mini');
      assert.ok(Array.isArray(sent.json?.messages), 'the OpenAI attempt got a Chat Completions body');
      assert.equal(sent.headers['anthropic-version'], undefined);
      assert.equal(sent.headers['x-api-key'], undefined);
      assert.equal(sent.headers.authorization, `Bearer ${OPENAI_KEY}`);
    });
  });

  describe('POST /v1/messages/count_tokens', () => {
    const countParams = { messages: [{ role: 'user' as const, content: 'How many tokens is this sentence?' }], system: 'Be brief.' };

    test("to an Anthropic model: passed through, Anthropic's count returned as is", async () => {
      const problems = anthropic.problems.length;
      const counted = await client.messages.countTokens({ model: 'claude', ...countParams });
      assert.deepEqual(counted, { input_tokens: ANTHROPIC_COUNTED_TOKENS });
      const sent = anthropic.requests.at(-1)!;
      assert.equal(sent.path, '/v1/messages/count_tokens');
      assert.equal(sent.headers['x-api-key'], ANTHROPIC_KEY);
      assert.equal(sent.body.model, 'claude-haiku-4-5');
      assert.equal(anthropic.problems.length, problems);
    });

    test('to another model: estimated by the gateway with its tokenizer, marked as an estimate, no provider called', async () => {
      const requestsBefore = openai.requests.length;
      const { data, response } = await client.messages.countTokens({ model: 'gpt', ...countParams }).withResponse();
      // The system text and the message's, one per line, in OpenAI's o200k_base.
      const encoding = get_encoding('o200k_base');
      const expected = encoding.encode_ordinary('Be brief.\nHow many tokens is this sentence?').length;
      encoding.free();
      assert.deepEqual(data, { input_tokens: expected });
      assert.equal(response.headers.get('x-gateway-token-count'), 'estimate; tokenizer=o200k_base');
      assert.equal(openai.requests.length, requestsBefore);
    });

    test('keys and model scopes apply: a key limited to other models gets 403', async () => {
      const error = await refusal(anthropicClient(secrets.narrow).messages.countTokens({ model: 'claude', ...countParams }));
      assert.ok(error instanceof Anthropic.PermissionDeniedError);
      assertAnthropicError(error, 'permission_error', /may not use the model 'claude'/);
    });
  });
});

const toolCallCompletion: Responder = (request, response) =>
  sendJson(response, 200, {
    id: 'chatcmpl-tool',
    object: 'chat.completion',
    created: 1_760_000_000,
    model: `${String(request.json?.model)}-2025-01-01`,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'call_weather_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ],
    usage: MOCK_USAGE,
  });

function textCompletion(text: string): Responder {
  return (request, response) =>
    sendJson(response, 200, {
      id: 'chatcmpl-text',
      object: 'chat.completion',
      created: 1_760_000_000,
      model: `${String(request.json?.model)}-2025-01-01`,
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: MOCK_USAGE,
    });
}

/** OpenAI's documented stream for a tool call: the call's id and name first, then argument fragments, then the usage chunk. */
const streamedToolCall: Responder = async (request, response) => {
  const base = { id: 'chatcmpl-toolstream', object: 'chat.completion.chunk', created: 1_760_000_000, model: `${String(request.json?.model)}-2025-01-01` };
  const chunk = (delta: object, finish: string | null = null) => ({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null });
  const events = [
    chunk({ role: 'assistant', content: '' }),
    chunk({ content: 'Checking.' }),
    chunk({ tool_calls: [{ index: 0, id: 'call_weather_2', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city"' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: ':"Paris"}' } }] }),
    chunk({}, 'tool_calls'),
    { ...base, choices: [], usage: MOCK_USAGE },
  ];
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  for (const event of events) {
    response.write(`data: ${JSON.stringify(event)}\n\n`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  response.end('data: [DONE]\n\n');
};

async function refusal(promise: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Anthropic.APIError) return error;
    throw error;
  }
  throw new Error('expected the request to be refused');
}

function assertAnthropicError(error: InstanceType<typeof Anthropic.APIError>, type: string, message: RegExp): void {
  const body = error.error as { type?: string; error?: { type?: string; message?: string } };
  assert.equal(body.type, 'error');
  assert.equal(body.error?.type, type);
  assert.match(String(body.error?.message), message);
}

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail('condition not reached');
}
