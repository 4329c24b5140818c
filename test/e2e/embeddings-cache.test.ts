import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { startGateway, type GatewayHarness } from '../support/gateway-harness.js';
import { mockEmbedding, mockEmbeddingTokens, startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';
import { seriesValue } from '../support/prometheus-text.js';

/**
 * The exact response cache on POST /v1/embeddings through the real Envoy with the official
 * OpenAI SDK: a repeated call is answered by the gateway with the same vectors and never
 * reaches the provider; another key, another encoding or other dimensions miss.
 */
const PROVIDER_KEY = 'sk-provider-embeddings-cache';
const secrets = { alpha: 'sk-test-emb-cache-alpha-0123456789', beta: 'sk-test-emb-cache-beta-0123456789' };

describe('embeddings cache through Envoy', () => {
  let upstream: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  const client = (secret = secrets.alpha) => new OpenAI({ apiKey: secret, baseURL: gateway.baseURL, maxRetries: 0 });

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    gateway = await startGateway({
      providers: { mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'MOCK_KEY' } } },
      // deterministic_only stays at its default: it does not apply to embeddings.
      models: { 'emb-cached': { provider: 'mock', model: 'text-embedding-3-small', cache: { ttl: '10m' } } },
      environment: { MOCK_KEY: PROVIDER_KEY },
      keys: [
        { alias: 'alpha', hash: hashKeySecret(secrets.alpha) },
        { alias: 'beta', hash: hashKeySecret(secrets.beta) },
      ],
    });
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  test('a repeated call is answered from the cache with the same vectors; the provider sees it once', async () => {
    const input = ['cache these words', 'and these'];
    const before = upstream.requests.length;
    const first = await client().embeddings.create({ model: 'emb-cached', input }).withResponse();
    assert.equal(first.response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(upstream.requests.length, before + 1);

    const second = await client().embeddings.create({ model: 'emb-cached', input }).withResponse();
    assert.equal(second.response.headers.get('x-gateway-cache'), 'hit');
    assert.match(second.response.headers.get('age') ?? '', /^\d+$/);
    assert.equal(upstream.requests.length, before + 1, 'the hit never reached the provider');
    assert.deepEqual(second.data, first.data, 'the same answer, decoded by the SDK from the same base64');
    for (const [index, item] of second.data.data.entries()) assert.deepEqual(Array.from(item.embedding), mockEmbedding(input[index]!));
    const tokens = input.reduce((sum, text) => sum + mockEmbeddingTokens(text), 0);
    assert.equal(second.data.usage.prompt_tokens, tokens);

    // Metered as a hit, with the tokens it saved.
    const metrics = await gateway.sidecarMetrics();
    assert.ok(seriesValue(metrics, 'llm_gateway_cache_lookups_total', { gen_ai_request_model: 'emb-cached', result: 'hit' }) >= 1);
    assert.ok(seriesValue(metrics, 'llm_gateway_cache_saved_tokens_total', { gen_ai_request_model: 'emb-cached', gen_ai_token_type: 'input' }) >= tokens);
  });

  test('another key, another encoding or other dimensions miss', async () => {
    const input = 'a text for two tenants';
    await client(secrets.alpha).embeddings.create({ model: 'emb-cached', input, encoding_format: 'float' });
    const before = upstream.requests.length;
    const other = await client(secrets.beta).embeddings.create({ model: 'emb-cached', input, encoding_format: 'float' }).withResponse();
    assert.equal(other.response.headers.get('x-gateway-cache'), 'miss', "another key never gets alpha's answer");
    assert.equal(upstream.requests.length, before + 1);
    const base64 = await client(secrets.alpha).embeddings.create({ model: 'emb-cached', input, encoding_format: 'base64' }).withResponse();
    assert.equal(base64.response.headers.get('x-gateway-cache'), 'miss');
    const smaller = await client(secrets.alpha).embeddings.create({ model: 'emb-cached', input, encoding_format: 'float', dimensions: 8 }).withResponse();
    assert.equal(smaller.response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(upstream.requests.length, before + 3);
    const again = await client(secrets.alpha).embeddings.create({ model: 'emb-cached', input, encoding_format: 'float' }).withResponse();
    assert.equal(again.response.headers.get('x-gateway-cache'), 'hit');
    assert.equal(upstream.requests.length, before + 3);
  });
});
