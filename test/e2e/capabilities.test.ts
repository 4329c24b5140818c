import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { get_encoding } from 'tiktoken';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { startMockAnthropicUpstream, type MockAnthropicUpstream } from '../support/mock-anthropic-upstream.js';
import { startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

/**
 * Capabilities and context windows through the real Envoy: what a model cannot take is
 * refused before anything is sent, in the client's own format, and a fallback level that
 * cannot take a request is skipped rather than tried.
 */
const PROVIDER_KEY = 'sk-provider-capabilities';
const ANTHROPIC_KEY = 'sk-ant-provider-capabilities';
const TEXT_ONLY = { context_window: 4096, max_output_tokens: 1024, tools: true, vision: false, json_schema: true, reasoning: false };
const EVERYTHING = { context_window: 1_000_000, max_output_tokens: 8192, tools: true, vision: true, json_schema: true, reasoning: true };
const IMAGE = { type: 'image_url' as const, image_url: { url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==' } };
const TOOL = { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: {} } } };

describe('capabilities and context windows', () => {
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
        'text-only': { provider: 'mock', model: 'text-model' },
        chain: { fallback: [{ provider: 'mock', model: 'no-tools-model' }, { provider: 'mock', model: 'big-model' }] },
        short: { provider: 'mock', model: 'text-model', context_policy: { upgrade: 'long' } },
        long: { provider: 'mock', model: 'big-model' },
        'claude-then-gpt': { fallback: [{ provider: 'anthropic', model: 'claude-haiku-4-5' }, { provider: 'mock', model: 'big-model' }] },
      },
      capabilities: {
        'mock/text-model': TEXT_ONLY,
        'mock/no-tools-model': { ...EVERYTHING, tools: false },
        'mock/big-model': EVERYTHING,
      },
      environment: { MOCK_KEY: PROVIDER_KEY, ANTHROPIC_KEY },
    });
    client = new OpenAI({ apiKey: 'unused', baseURL: gateway.baseURL, maxRetries: 0 });
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
    await anthropicUpstream?.close();
  });

  async function refusal(request: Promise<unknown>): Promise<InstanceType<typeof OpenAI.BadRequestError>> {
    const error = await request.then(
      () => assert.fail('expected a refusal'),
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof OpenAI.BadRequestError, String(error));
    return error;
  }

  test('an image to a text-only model: a 400 naming messages[0].content[1], nothing sent', async () => {
    const sent = upstream.requests.length;
    const error = await refusal(client.chat.completions.create({ model: 'text-only', messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, IMAGE] }] }));
    assert.equal(error.code, 'unsupported_capability');
    assert.equal(error.param, 'messages[0].content[1]');
    assert.equal((error.error as { message: string }).message, "Model 'text-only' does not take images: remove messages[0].content[1], or use a model that does.");
    assert.equal(upstream.requests.length, sent, 'the provider received nothing');
  });

  test('a prompt too long for the window: context_length_exceeded with the numbers, nothing sent', async () => {
    const sent = upstream.requests.length;
    const content = 'The quick brown fox jumps over the lazy dog. '.repeat(500);
    const encoding = get_encoding('o200k_base');
    const promptTokens = encoding.encode_ordinary(content).length;
    encoding.free();
    const error = await refusal(client.chat.completions.create({ model: 'text-only', max_tokens: 100, messages: [{ role: 'user', content }] }));
    assert.equal(error.code, 'context_length_exceeded');
    assert.equal(error.param, 'messages');
    assert.equal(
      (error.error as { message: string }).message,
      `This model's maximum context length is 4096 tokens. However, you requested ${promptTokens + 100} tokens (${promptTokens} in the messages, 100 in the completion). Please reduce the length of the messages or completion.`,
    );
    assert.equal(upstream.requests.length, sent, 'the provider received nothing');
  });

  test('a short prompt whose output bound is the model maximum still fits, and is served', async () => {
    const completion = await client.chat.completions.create({ model: 'text-only', messages: [{ role: 'user', content: 'hi' }] });
    assert.match(completion.model, /^text-model/);
  });

  test('a fallback chain whose first level cannot take tools: the second level serves it, with no failed attempt', async () => {
    const sent = upstream.requests.length;
    const completion = await client.chat.completions.create({ model: 'chain', tools: [TOOL], messages: [{ role: 'user', content: 'look it up' }] });
    assert.match(completion.model, /^big-model/);
    const received = upstream.requests.slice(sent);
    assert.deepEqual(received.map((request) => request.json?.model), ['big-model'], 'one request, to the second level only');
    assert.ok(Array.isArray(received[0]!.json?.tools), 'with its tools');
    // The request's log line names the level it skipped, and why.
    const id = (await client.chat.completions.create({ model: 'chain', tools: [TOOL], messages: [{ role: 'user', content: 'again' }] }).withResponse()).response.headers.get('x-request-id');
    await waitFor('the request log line', () => gateway.sidecarLogLines().some((line) => line.event === 'request' && line.request_id === id));
    const line = gateway.sidecarLogLines().find((entry) => entry.event === 'request' && entry.request_id === id)!;
    assert.deepEqual(line.skipped, ['mock/no-tools-model: unsupported_capability']);
    assert.deepEqual(line.attempts, ['mock/big-model']);
    // Without tools the first level serves it, as before.
    const plain = await client.chat.completions.create({ model: 'chain', messages: [{ role: 'user', content: 'hi' }] });
    assert.match(plain.model, /^no-tools-model/);
  });

  test('a level whose provider cannot honour a parameter is skipped, not failed with a 500', async () => {
    const sent = upstream.requests.length;
    const anthropicSent = anthropicUpstream.requests.length;
    // Anthropic has no logprobs: its level cannot serve this request, and the next one does.
    const completion = await client.chat.completions.create({ model: 'claude-then-gpt', logprobs: true, messages: [{ role: 'user', content: 'hi' }] });
    assert.match(completion.model, /^big-model/);
    assert.equal(anthropicUpstream.requests.length, anthropicSent, 'nothing was sent to Anthropic');
    assert.deepEqual(upstream.requests.slice(sent).map((request) => request.json?.model), ['big-model']);
  });

  test('upgrade: a prompt too long for its model goes to the configured larger model', async () => {
    const sent = upstream.requests.length;
    const completion = await client.chat.completions.create({ model: 'short', max_tokens: 100, messages: [{ role: 'user', content: 'word '.repeat(6000) }] });
    assert.match(completion.model, /^big-model/);
    assert.deepEqual(upstream.requests.slice(sent).map((request) => request.json?.model), ['big-model']);
  });

  test('an Anthropic Messages client gets the refusal in Anthropic format', async () => {
    const sent = upstream.requests.length;
    const anthropic = new Anthropic({ baseURL: `http://127.0.0.1:${gateway.listenerPort}`, apiKey: 'unused', maxRetries: 0 });
    const error = await anthropic.messages
      .create({
        model: 'text-only',
        max_tokens: 100,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: IMAGE.image_url.url.split(',')[1]! } }] }],
      })
      .then(
        () => assert.fail('expected a refusal'),
        (thrown: unknown) => thrown,
      );
    assert.ok(error instanceof Anthropic.BadRequestError, String(error));
    const body = error.error as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.equal(body.error.message, "Model 'text-only' does not take images: remove messages.0.content.1, or use a model that does.");
    assert.equal(upstream.requests.length, sent, 'the provider received nothing');
  });
});

describe('the context window check on a gateway with keys', () => {
  let upstream: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  const SECRET = 'sk-gw-capabilities-0123456789';

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    gateway = await startGateway({
      providers: { mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'MOCK_KEY' } } },
      models: { 'text-only': { provider: 'mock', model: 'text-model' } },
      capabilities: { 'mock/text-model': TEXT_ONLY },
      environment: { MOCK_KEY: PROVIDER_KEY },
      governance: { mode: 'closed' },
      keys: [{ alias: 'team', hash: hashKeySecret(SECRET) }],
    });
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  test('a prompt that must be counted is counted only for a known key: a stranger gets the 401', async () => {
    const request = { model: 'text-only', max_tokens: 100, messages: [{ role: 'user' as const, content: 'word '.repeat(6000) }] };
    const stranger = new OpenAI({ apiKey: 'sk-gw-unknown-0123456789', baseURL: gateway.baseURL, maxRetries: 0 });
    await assert.rejects(stranger.chat.completions.create(request), (error: unknown) => error instanceof OpenAI.AuthenticationError);
    const member = new OpenAI({ apiKey: SECRET, baseURL: gateway.baseURL, maxRetries: 0 });
    await assert.rejects(member.chat.completions.create(request), (error: unknown) => error instanceof OpenAI.BadRequestError && error.code === 'context_length_exceeded');
    assert.equal(upstream.requests.length, 0, 'the provider received nothing');
  });
});
