import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { GEMINI_EMBEDDING_SIZE, geminiMockEmbedding, startMockGeminiUpstream, type MockGeminiUpstream } from '../support/mock-gemini-upstream.js';
import { MOCK_EMBEDDING_SIZE, mockEmbedding, mockEmbeddingTokens, sendJson, startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';
import { seriesValue } from '../support/prometheus-text.js';

/**
 * POST /v1/embeddings through the real Envoy with the official OpenAI SDK: OpenAI and
 * Gemini targets, batches, the SDK's default base64 (which it decodes itself), explicit
 * floats, dimensions, token arrays, refusals, and metering under a virtual key. The mock
 * providers check each request against their own API's rules.
 */
const OPENAI_KEY = 'sk-openai-embeddings-e2e';
const GEMINI_KEY = 'AIza-embeddings-e2e';
const CLIENT_KEY = 'sk-client-embeddings-0123456789';
const NARROW_KEY = 'sk-client-narrow-0123456789';
const TPM_KEY = 'sk-client-tpm-0123456789';
const BUDGET_KEY = 'sk-client-budget-0123456789';
/** config/prices.yaml: text-embedding-3-small and gemini-embedding-001, USD per token. */
const PRICE = { openai: 2e-8, gemini: 1.5e-7 };

describe('embeddings through Envoy', () => {
  let openai: MockOpenAIUpstream;
  let gemini: MockGeminiUpstream;
  let gateway: GatewayHarness;
  let client: OpenAI;

  before(async () => {
    openai = await startMockOpenAIUpstream({ expectedKey: OPENAI_KEY });
    gemini = await startMockGeminiUpstream({ expectedKey: GEMINI_KEY });
    gateway = await startGateway({
      providers: {
        openai: { kind: 'openai', base_url: `http://127.0.0.1:${openai.port}/v1`, credential: { env: 'OPENAI_API_KEY' } },
        gemini: { kind: 'gemini', base_url: `http://127.0.0.1:${gemini.port}/v1beta`, credential: { env: 'GEMINI_API_KEY' } },
        // Never reached: an Anthropic target is refused before anything is sent.
        anthropic: { kind: 'anthropic', base_url: `http://127.0.0.1:${openai.port}/v1`, credential: { env: 'OPENAI_API_KEY' } },
      },
      models: {
        'emb-small': { provider: 'openai', model: 'text-embedding-3-small' },
        'emb-ada': { provider: 'openai', model: 'text-embedding-ada-002' },
        'emb-gemini': { provider: 'gemini', model: 'gemini-embedding-001' },
        'emb-claude': { provider: 'anthropic', model: 'claude-haiku-4-5' },
      },
      environment: { OPENAI_API_KEY: OPENAI_KEY, GEMINI_API_KEY: GEMINI_KEY },
      keys: [
        { alias: 'embedder', hash: hashKeySecret(CLIENT_KEY) },
        { alias: 'narrow', hash: hashKeySecret(NARROW_KEY), models: ['emb-gemini'] },
        { alias: 'tpm', hash: hashKeySecret(TPM_KEY), tokens_per_minute: 6 },
        // $0.000002 holds a request of about 100 bytes at text-embedding-3-small's $0.02 per million tokens.
        { alias: 'budget', hash: hashKeySecret(BUDGET_KEY), budget: { usd: 0.000002, period: 'daily' } },
      ],
    });
    client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: gateway.baseURL, maxRetries: 0 });
  });

  after(async () => {
    await gateway?.stop();
    await openai?.close();
    await gemini?.close();
  });

  /** A client error's status, code and param, with nothing sent to either provider. */
  async function refused(call: Promise<unknown>, status: number, param: string | null, code?: string): Promise<InstanceType<typeof OpenAI.APIError>> {
    const sent = openai.requests.length + gemini.requests.length;
    let caught: unknown;
    await call.catch((error: unknown) => (caught = error));
    assert.ok(caught instanceof OpenAI.APIError, `expected an API error, got ${String(caught)}`);
    assert.equal(caught.status, status, caught.message);
    assert.equal(caught.param ?? null, param, caught.message);
    if (code !== undefined) assert.equal(caught.code, code);
    assert.equal(openai.requests.length + gemini.requests.length, sent, 'nothing reached a provider');
    return caught;
  }

  test('OpenAI, a batch as the SDK sends it by default: base64 asked for, passed through, decoded by the SDK', async () => {
    const input = ['the quick brown fox', 'jumps over', 'the lazy dog'];
    const { data: answer, response } = await client.embeddings.create({ model: 'emb-small', input }).withResponse();
    const sent = openai.requests.at(-1)!;
    assert.equal(sent.path, '/v1/embeddings');
    assert.equal(sent.headers.authorization, `Bearer ${OPENAI_KEY}`, 'the provider key, never the client key');
    assert.deepEqual(sent.json, { model: 'text-embedding-3-small', input, encoding_format: 'base64' });
    assert.equal(answer.data.length, 3);
    answer.data.forEach((item, index) => {
      assert.equal(item.index, index);
      assert.deepEqual(Array.from(item.embedding), mockEmbedding(input[index]!));
    });
    assert.equal(answer.usage.prompt_tokens, input.reduce((sum, text) => sum + mockEmbeddingTokens(text), 0));
    assert.equal(response.headers.get('x-gateway-token-count'), null, "OpenAI's own count is not an estimate");
  });

  test('OpenAI: floats with dimensions, and token arrays', async () => {
    const floats = await client.embeddings.create({ model: 'emb-small', input: 'hello world', encoding_format: 'float', dimensions: 4 });
    assert.deepEqual(floats.data[0]!.embedding, mockEmbedding('hello world', 4));
    assert.equal(openai.requests.at(-1)!.json!.dimensions, 4);
    const tokens = await client.embeddings.create({ model: 'emb-small', input: [[1, 2, 3], [40, 50]], encoding_format: 'float' });
    assert.deepEqual(tokens.data.map((item) => item.embedding), [mockEmbedding([1, 2, 3]), mockEmbedding([40, 50])]);
    assert.equal(tokens.usage.prompt_tokens, 5);
    assert.equal(tokens.data[0]!.embedding.length, MOCK_EMBEDDING_SIZE);
  });

  test('an OpenAI-compatible server that reports no usage: the bytes pass through, the prompt is counted and marked', async () => {
    // A server answering in OpenAI's shape without `usage`, as some self-hosted ones do.
    const vector = [0.25, -0.5];
    openai.respondWith((_request, response) => sendJson(response, 200, { object: 'list', data: [{ object: 'embedding', index: 0, embedding: vector }], model: 'local-embedder' }));
    const { data: answer, response } = await client.embeddings.create({ model: 'emb-small', input: 'count these words please', encoding_format: 'float' }).withResponse();
    assert.deepEqual(answer.data[0]!.embedding, vector);
    assert.equal(answer.usage, undefined, 'the provider\'s body is passed on as it came');
    assert.equal(response.headers.get('x-gateway-token-count'), 'estimate; tokenizer=o200k_base');
    const requestId = response.headers.get('x-request-id');
    const line = () => gateway.sidecarLogLines().find((entry) => entry.event === 'request' && entry.request_id === requestId);
    await waitFor('the request\'s log line', () => line() !== undefined);
    assert.equal(line()!.usage_estimated, true);
    assert.ok((line()!.prompt_tokens as number) > 0);
  });

  test('Gemini, a batch with the SDK default: batchEmbedContents, base64 float32 written by the gateway and decoded by the SDK', async () => {
    const input = ['first passage', 'second passage'];
    const { data: answer, response } = await client.embeddings.create({ model: 'emb-gemini', input }).withResponse();
    const sent = gemini.requests.at(-1)!;
    assert.equal(sent.path, '/v1beta/models/gemini-embedding-001:batchEmbedContents');
    assert.equal(sent.headers['x-goog-api-key'], GEMINI_KEY);
    assert.deepEqual(gemini.problems, []);
    assert.equal(answer.object, 'list');
    assert.equal(answer.data.length, 2);
    answer.data.forEach((item, index) => {
      assert.equal(item.index, index);
      assert.equal(item.embedding.length, GEMINI_EMBEDDING_SIZE);
      assert.deepEqual(Array.from(item.embedding), geminiMockEmbedding(input[index]!));
    });
    assert.ok(answer.usage.prompt_tokens > 0 && answer.usage.prompt_tokens === answer.usage.total_tokens);
    assert.equal(response.headers.get('x-gateway-token-count'), 'estimate; tokenizer=o200k_base', 'Gemini reports no usage: the count is marked as the gateway\'s');
  });

  test('Gemini, one string as floats with dimensions: embedContent with outputDimensionality', async () => {
    const answer = await client.embeddings.create({ model: 'emb-gemini', input: 'just one', encoding_format: 'float', dimensions: 8 });
    const sent = gemini.requests.at(-1)!;
    assert.equal(sent.path, '/v1beta/models/gemini-embedding-001:embedContent');
    assert.deepEqual(sent.body, { content: { parts: [{ text: 'just one' }] }, outputDimensionality: 8 });
    assert.deepEqual(answer.data[0]!.embedding, geminiMockEmbedding('just one', 8));
    assert.deepEqual(gemini.problems, []);
  });

  test('refusals are OpenAI 400s naming the field, before anything is sent', async () => {
    await refused(client.embeddings.create({ model: 'emb-gemini', input: [[1, 2, 3]] }), 400, 'input', 'unsupported_parameter');
    await refused(client.embeddings.create({ model: 'emb-gemini', input: Array.from({ length: 101 }, (_, index) => `text ${index}`) }), 400, 'input');
    await refused(client.embeddings.create({ model: 'emb-ada', input: 'x', dimensions: 256 }), 400, 'dimensions');
    const claude = await refused(client.embeddings.create({ model: 'emb-claude', input: 'x' }), 400, 'model');
    assert.match(claude.message, /no embeddings API/);
    await refused(client.embeddings.create({ model: 'emb-small', input: '' }), 400, 'input');
    await refused(client.embeddings.create({ model: 'emb-small', input: 'x', encoding_format: 'int8' as 'float' }), 400, 'encoding_format');
    const missing = await refused(client.embeddings.create({ model: 'emb-nope', input: 'x' }), 404, 'model');
    assert.ok(missing instanceof OpenAI.NotFoundError);
    const narrow = new OpenAI({ apiKey: NARROW_KEY, baseURL: gateway.baseURL, maxRetries: 0 });
    assert.ok((await refused(narrow.embeddings.create({ model: 'emb-small', input: 'x' }), 403, 'model', 'model_not_allowed')) instanceof OpenAI.PermissionDeniedError);
    const badKey = new OpenAI({ apiKey: 'sk-not-a-key', baseURL: gateway.baseURL, maxRetries: 0 });
    assert.ok((await refused(badKey.embeddings.create({ model: 'emb-small', input: 'x' }), 401, null)) instanceof OpenAI.AuthenticationError);
  });

  test('tokens per minute count embedding tokens; a budget holds the prompt bound, with no output reserved', async () => {
    const tpm = new OpenAI({ apiKey: TPM_KEY, baseURL: gateway.baseURL, maxRetries: 0 });
    await tpm.embeddings.create({ model: 'emb-small', input: 'one two three four five six seven' });
    await waitFor('the 7 tokens to be counted', async () => seriesValue(await gateway.sidecarMetrics(), 'llm_gateway_key_tokens_total', { key_alias: 'tpm' }) === 7);
    const limited = await refused(tpm.embeddings.create({ model: 'emb-small', input: 'again' }), 429, null);
    assert.ok(limited instanceof OpenAI.RateLimitError);
    assert.match(limited.message, /6 tokens per minute/);

    const budget = new OpenAI({ apiKey: BUDGET_KEY, baseURL: gateway.baseURL, maxRetries: 0 });
    const fits = await budget.embeddings.create({ model: 'emb-small', input: 'a short text' });
    assert.equal(fits.usage.prompt_tokens, 3);
    const tooBig = await refused(budget.embeddings.create({ model: 'emb-small', input: 'x'.repeat(200) }), 402, null);
    assert.match(tooBig.message, /budget/);
  });

  test('metering: tokens and spend per key and model, Gemini\'s counted by the gateway and logged as estimated', async () => {
    const labels = (model: string) => ({ key_alias: 'embedder', gen_ai_request_model: model });
    const before = await gateway.sidecarMetrics();
    const small = await client.embeddings.create({ model: 'emb-small', input: ['one two three', 'four five'] });
    const { data: gem, response } = await client.embeddings.create({ model: 'emb-gemini', input: 'metered words' }).withResponse();
    const requestId = response.headers.get('x-request-id');
    await waitFor('both requests to be metered', async () => {
      const now = await gateway.sidecarMetrics();
      return ['emb-small', 'emb-gemini'].every((model) => seriesValue(now, 'llm_gateway_key_tokens_total', labels(model)) > seriesValue(before, 'llm_gateway_key_tokens_total', labels(model)));
    });
    const after = await gateway.sidecarMetrics();
    const delta = (name: string, model: string) => seriesValue(after, name, labels(model)) - seriesValue(before, name, labels(model));
    assert.equal(small.usage.prompt_tokens, 5);
    assert.equal(delta('llm_gateway_key_tokens_total', 'emb-small'), 5);
    assert.ok(Math.abs(delta('llm_gateway_spend_usd_total', 'emb-small') - 5 * PRICE.openai) < 1e-12);
    assert.equal(delta('llm_gateway_key_tokens_total', 'emb-gemini'), gem.usage.prompt_tokens);
    assert.ok(Math.abs(delta('llm_gateway_spend_usd_total', 'emb-gemini') - gem.usage.prompt_tokens * PRICE.gemini) < 1e-12);
    const finished = () => gateway.sidecarLogLines().find((line) => line.event === 'request' && line.request_id === requestId);
    await waitFor('the request\'s log line', () => finished() !== undefined);
    assert.equal(finished()!.usage_estimated, true);
    assert.equal(finished()!.prompt_tokens, gem.usage.prompt_tokens);
    const logs = gateway.sidecarLogs() + gateway.envoyLogs();
    for (const secret of [OPENAI_KEY, GEMINI_KEY, CLIENT_KEY, NARROW_KEY, TPM_KEY, BUDGET_KEY]) assert.ok(!logs.includes(secret), 'a secret is in a log line');
  });
});
