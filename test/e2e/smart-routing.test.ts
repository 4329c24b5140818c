import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { startMockAnthropicUpstream, type MockAnthropicUpstream } from '../support/mock-anthropic-upstream.js';
import { startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

/**
 * Routes through the real Envoy: a route's rules choose the model per request (the text, a
 * header), `cheapest` picks the cheapest model that can serve the request, and drop_params
 * leaves out what a provider cannot honour. The mocks show which model each request reached.
 */
const PROVIDER_KEY = 'sk-provider-routing';
const ANTHROPIC_KEY = 'sk-ant-provider-routing';
const EVERYTHING = { context_window: 200_000, max_output_tokens: 8192, tools: true, vision: true, json_schema: true, reasoning: true };
const TOOL = { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: {} } } };
const ANY_MODEL_SECRET = 'sk-gw-any-model-0123456789abcdef';
const ROUTE_ONLY_SECRET = 'sk-gw-route-only-0123456789abcdef';
const NANO_ONLY_SECRET = 'sk-gw-nano-only-0123456789abcdef';
const CODE_PROMPT = 'Why does this fail?\n```python\ndef total(xs):\n    return sum(x for x in xs\n```';

describe('smart routing', () => {
  let upstream: MockOpenAIUpstream;
  let anthropicUpstream: MockAnthropicUpstream;
  let gateway: GatewayHarness;
  let client: OpenAI;

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    anthropicUpstream = await startMockAnthropicUpstream({ expectedKey: ANTHROPIC_KEY });
    gateway = await startGateway({
      providers: {
        mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'MOCK_KEY' } },
        anthropic: { kind: 'anthropic', base_url: `http://127.0.0.1:${anthropicUpstream.port}/v1`, credential: { env: 'ANTHROPIC_KEY' } },
      },
      models: {
        'code-model': { provider: 'mock', model: 'code-model' },
        'chat-model': { provider: 'mock', model: 'chat-model' },
        nano: { provider: 'mock', model: 'nano-model' },
        mini: { provider: 'mock', model: 'mini-model' },
        big: { provider: 'mock', model: 'big-model' },
        'claude-drop': { provider: 'anthropic', model: 'claude-haiku-4-5', drop_params: true },
        'claude-strict': { provider: 'anthropic', model: 'claude-haiku-4-5' },
        'short-window': { provider: 'mock', model: 'short-window-model', context_policy: 'truncate' },
      },
      routes: {
        auto: {
          rules: [
            { name: 'code', when: { last_user_message: { regex: '```|\\bdef\\s+\\w+\\(' } }, model: 'code-model' },
            { name: 'low-priority', when: { headers: { 'x-priority': 'low' } }, cheapest: ['big', 'mini', 'nano'] },
            { name: 'search-team', when: { key: { metadata: { team: 'search' } } }, model: 'mini' },
          ],
          default: 'chat-model',
        },
      },
      capabilities: {
        'mock/code-model': EVERYTHING,
        'mock/chat-model': EVERYTHING,
        'mock/nano-model': { ...EVERYTHING, tools: false },
        'mock/mini-model': EVERYTHING,
        'mock/big-model': EVERYTHING,
        'mock/short-window-model': { ...EVERYTHING, context_window: 2000, max_output_tokens: 500 },
      },
      prices: {
        'mock/nano-model': { input: 0.05, output: 0.4 },
        'mock/mini-model': { input: 0.15, output: 0.6 },
        'mock/big-model': { input: 2.5, output: 10 },
      },
      // Declaring keys makes every request need one: this one may use every model.
      keys: [
        { alias: 'any-model', hash: hashKeySecret(ANY_MODEL_SECRET) },
        { alias: 'route-only', hash: hashKeySecret(ROUTE_ONLY_SECRET), models: ['auto'], metadata: { team: 'search' } },
        { alias: 'nano-only', hash: hashKeySecret(NANO_ONLY_SECRET), models: ['nano'] },
      ],
      environment: { MOCK_KEY: PROVIDER_KEY, ANTHROPIC_KEY },
    });
    client = new OpenAI({ apiKey: ANY_MODEL_SECRET, baseURL: gateway.baseURL, maxRetries: 0 });
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
    await anthropicUpstream?.close();
  });

  /** The models the OpenAI mock received since `from`. */
  const modelsSince = (from: number) => upstream.requests.slice(from).map((request) => request.json?.model);

  test('a code-looking prompt goes to the code model, a plain one to the default; headers, log and metric explain it', async () => {
    const sent = upstream.requests.length;
    const code = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: CODE_PROMPT }] }).withResponse();
    assert.equal(code.response.headers.get('x-gateway-route'), 'auto');
    assert.equal(code.response.headers.get('x-gateway-route-rule'), 'code');
    assert.equal(code.response.headers.get('x-gateway-model'), 'code-model');
    const plain = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Suggest a name for a cat.' }] }).withResponse();
    assert.equal(plain.response.headers.get('x-gateway-route-rule'), 'default');
    assert.equal(plain.response.headers.get('x-gateway-model'), 'chat-model');
    assert.equal(code.response.headers.get('x-gateway-route-reason'), 'rule');
    assert.equal(plain.response.headers.get('x-gateway-route-reason'), 'default');
    assert.deepEqual(modelsSince(sent), ['code-model', 'chat-model'], 'each mock request names the chosen model');

    const id = code.response.headers.get('x-request-id');
    await waitFor('the request log line', () => gateway.sidecarLogLines().some((line) => line.event === 'request' && line.request_id === id));
    const line = gateway.sidecarLogLines().find((entry) => entry.event === 'request' && entry.request_id === id)!;
    assert.equal(line.route, 'auto');
    assert.equal(line.route_rule, 'code');
    assert.equal(line.route_reason, 'rule');
    assert.equal(line.model, 'code-model');
    const metrics = await gateway.sidecarMetrics();
    assert.match(metrics, /llm_gateway_route_choices_total\{route="auto",rule="code",gen_ai_request_model="code-model"\} [1-9]/);
    assert.match(metrics, /llm_gateway_route_choices_total\{route="auto",rule="default",gen_ai_request_model="chat-model"\} [1-9]/);
  });

  test('a header rule: x-priority low picks the cheapest model, and the cheapest with tools when tools are asked for', async () => {
    const sent = upstream.requests.length;
    const low = { headers: { 'x-priority': 'low' } };
    const cheap = await client.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'Summarise: the sky is blue.' }] }, low).withResponse();
    assert.equal(cheap.response.headers.get('x-gateway-route-rule'), 'low-priority');
    assert.equal(cheap.response.headers.get('x-gateway-model'), 'nano');
    assert.match(cheap.response.headers.get('x-gateway-route-reason') ?? '', /^cheapest; cost_usd=\d/);
    // nano is cheaper but takes no tools: mini, the next cheapest, serves it.
    const tools = await client.chat.completions.create({ model: 'auto', tools: [TOOL], messages: [{ role: 'user', content: 'Look up the weather.' }] }, low).withResponse();
    assert.equal(tools.response.headers.get('x-gateway-model'), 'mini');
    assert.deepEqual(modelsSince(sent), ['nano-model', 'mini-model']);
    assert.ok(Array.isArray(upstream.requests.at(-1)!.json?.tools), 'with its tools');
  });

  test('an Anthropic Messages client is routed by the same rules', async () => {
    const sent = upstream.requests.length;
    const anthropic = new Anthropic({ baseURL: `http://127.0.0.1:${gateway.listenerPort}`, apiKey: ANY_MODEL_SECRET, maxRetries: 0 });
    const { response } = await anthropic.messages.create({ model: 'auto', max_tokens: 100, messages: [{ role: 'user', content: CODE_PROMPT }] }).withResponse();
    assert.equal(response.headers.get('x-gateway-model'), 'code-model');
    assert.deepEqual(modelsSince(sent), ['code-model']);
  });

  test('drop_params: a parameter Anthropic cannot honour is dropped and listed; without drop_params it is refused', async () => {
    const sent = anthropicUpstream.requests.length;
    const dropped = await client.chat.completions.create({ model: 'claude-drop', logprobs: true, store: true, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal(dropped.response.headers.get('x-gateway-dropped-params'), 'store, logprobs');
    const received = anthropicUpstream.requests.slice(sent);
    assert.equal(received.length, 1);
    assert.equal(received[0]!.body?.logprobs, undefined);
    assert.equal(received[0]!.body?.store, undefined);
    const id = dropped.response.headers.get('x-request-id');
    await waitFor('the request log line', () => gateway.sidecarLogLines().some((line) => line.event === 'request' && line.request_id === id));
    const line = gateway.sidecarLogLines().find((entry) => entry.event === 'request' && entry.request_id === id)!;
    assert.deepEqual(line.dropped_params, ['store', 'logprobs']);

    const error = await client.chat.completions.create({ model: 'claude-strict', logprobs: true, messages: [{ role: 'user', content: 'hi' }] }).then(
      () => assert.fail('expected a refusal'),
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof OpenAI.BadRequestError, String(error));
    assert.equal(error.code, 'unsupported_parameter');
    assert.equal(error.param, 'logprobs');
    assert.equal(anthropicUpstream.requests.length, sent + 1, 'the refused request was not sent');
  });

  test('keys: a key allowed the route uses the model it chooses (here by key metadata); a key allowed neither is refused 403', async () => {
    const sent = upstream.requests.length;
    const routeOnly = new OpenAI({ apiKey: ROUTE_ONLY_SECRET, baseURL: gateway.baseURL, maxRetries: 0 });
    const chosen = await routeOnly.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
    assert.equal(chosen.response.headers.get('x-gateway-route-rule'), 'search-team');
    assert.equal(chosen.response.headers.get('x-gateway-model'), 'mini');
    assert.deepEqual(modelsSince(sent), ['mini-model']);

    const nanoOnly = new OpenAI({ apiKey: NANO_ONLY_SECRET, baseURL: gateway.baseURL, maxRetries: 0 });
    // Low priority chooses nano, which this key may use; a plain request chooses chat-model, which it may not.
    const allowed = await nanoOnly.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hello' }] }, { headers: { 'x-priority': 'low' } }).withResponse();
    assert.equal(allowed.response.headers.get('x-gateway-model'), 'nano');
    const error = await nanoOnly.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hello' }] }).then(
      () => assert.fail('expected a refusal'),
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof OpenAI.PermissionDeniedError, String(error));
    assert.equal(error.code, 'model_not_allowed');
    assert.equal(error.headers.get('x-gateway-model'), 'chat-model', 'the refusal says what the route chose');
    assert.match((error.error as { message: string }).message, /may not use the route 'auto', nor the model 'chat-model' it chose/);
    assert.deepEqual(modelsSince(sent), ['mini-model', 'nano-model'], 'the refused request was not sent');
  });

  test('GET /v1/models lists the routes a key may use beside its models, and retrieves them by id', async () => {
    const ids = async (secret: string) => (await new OpenAI({ apiKey: secret, baseURL: gateway.baseURL, maxRetries: 0 }).models.list()).data.map((model) => model.id);
    const everything = await ids(ANY_MODEL_SECRET);
    assert.ok(everything.includes('auto') && everything.includes('chat-model'), everything.join(', '));
    assert.deepEqual(await ids(ROUTE_ONLY_SECRET), ['auto']);
    assert.deepEqual(await ids(NANO_ONLY_SECRET), ['nano'], 'a key not allowed the route does not see it');

    const route = await client.models.retrieve('auto');
    assert.deepEqual({ id: route.id, object: route.object, owned_by: route.owned_by }, { id: 'auto', object: 'model', owned_by: 'llm-gateway (route)' });
    const nanoOnly = new OpenAI({ apiKey: NANO_ONLY_SECRET, baseURL: gateway.baseURL, maxRetries: 0 });
    const error = await nanoOnly.models.retrieve('auto').then(
      () => assert.fail('expected a 404'),
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof OpenAI.NotFoundError, String(error));
    assert.equal(error.code, 'model_not_found');
  });

  test('context_policy truncate: the oldest turns go, the system prompt, the last turn and a tool call with its result stay', async () => {
    const sent = upstream.requests.length;
    const filler = (label: string) => `${label}: ${'word '.repeat(300)}`;
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'system', content: 'You are a careful assistant.' }];
    for (let turn = 0; turn < 4; turn += 1) messages.push({ role: 'user', content: filler(`question ${turn}`) }, { role: 'assistant', content: filler(`answer ${turn}`) });
    messages.push(
      { role: 'user', content: 'What is the weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_weather', type: 'function', function: { name: 'lookup', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_weather', content: 'sunny' },
      { role: 'assistant', content: 'It is sunny.' },
      { role: 'user', content: 'And tomorrow?' },
    );
    const { response } = await client.chat.completions.create({ model: 'short-window', max_tokens: 100, tools: [TOOL], messages }).withResponse();
    const received = upstream.requests.slice(sent);
    assert.equal(received.length, 1);
    const forwarded = received[0]!.json?.messages as Array<{ role: string; content: unknown; tool_call_id?: string }>;
    const dropped = Number(response.headers.get('x-gateway-truncated-turns'));
    assert.ok(dropped > 0, 'some turns were dropped');
    assert.equal(forwarded.length, messages.length - dropped, 'the header counts the turns the provider did not get');
    assert.equal(dropped % 2, 0, 'whole exchanges (a question and its answer) were dropped');
    assert.deepEqual(forwarded[0], { role: 'system', content: 'You are a careful assistant.' });
    assert.deepEqual(forwarded.at(-1), { role: 'user', content: 'And tomorrow?' });
    const toolAt = forwarded.findIndex((message) => message.role === 'tool');
    assert.equal(forwarded[toolAt]!.tool_call_id, 'call_weather');
    assert.equal(forwarded[toolAt - 1]!.role, 'assistant', 'the tool result follows its call');
    assert.ok(!forwarded.some((message) => message.content === filler('question 0')), 'the oldest question went');
  });

  test('context_policy truncate for an Anthropic Messages client: whole exchanges go, the tool_use stays with its tool_result', async () => {
    const sent = upstream.requests.length;
    const filler = (label: string) => `${label}: ${'word '.repeat(300)}`;
    const messages: Anthropic.MessageParam[] = [];
    for (let turn = 0; turn < 4; turn += 1) messages.push({ role: 'user', content: filler(`question ${turn}`) }, { role: 'assistant', content: filler(`answer ${turn}`) });
    messages.push(
      { role: 'user', content: 'What is the weather?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_weather', name: 'lookup', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_weather', content: 'sunny' }] },
      { role: 'assistant', content: 'It is sunny.' },
      { role: 'user', content: 'And tomorrow?' },
    );
    const anthropic = new Anthropic({ baseURL: `http://127.0.0.1:${gateway.listenerPort}`, apiKey: ANY_MODEL_SECRET, maxRetries: 0 });
    const tools = [{ name: 'lookup', input_schema: { type: 'object' as const, properties: {} } }];
    const { response } = await anthropic.messages.create({ model: 'short-window', max_tokens: 100, system: 'You are a careful assistant.', tools, messages }).withResponse();
    const dropped = Number(response.headers.get('x-gateway-truncated-turns'));
    assert.ok(dropped > 0 && dropped % 2 === 0, `whole exchanges were dropped (${dropped} turns)`);
    const forwarded = upstream.requests.slice(sent)[0]!.json?.messages as Array<{ role: string; content: unknown; tool_call_id?: string; tool_calls?: Array<{ id: string }> }>;
    assert.deepEqual(forwarded[0], { role: 'system', content: 'You are a careful assistant.' });
    assert.deepEqual(forwarded.at(-1), { role: 'user', content: 'And tomorrow?' });
    const toolAt = forwarded.findIndex((message) => message.role === 'tool');
    assert.equal(forwarded[toolAt]!.tool_call_id, 'toolu_weather');
    assert.equal(forwarded[toolAt - 1]!.tool_calls?.[0]?.id, 'toolu_weather', 'the tool result follows its call');
    assert.ok(!JSON.stringify(forwarded).includes('question 0:'), 'the oldest question went');
  });
});
