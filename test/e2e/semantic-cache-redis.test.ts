import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { MOCK_REPLY_WORDS, startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';
import { seriesValue } from '../support/prometheus-text.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

/**
 * The semantic cache across two replicas sharing a real Redis: each keeps its own in-process
 * index, kept in step through a Redis stream, so a near question stored through one replica
 * is a semantic hit on the other, a replica started later learns what is still fresh, and
 * tenants stay apart.
 */
const CHAT_KEY = 'sk-provider-chat-semantic-redis';
const EMBED_KEY = 'sk-provider-embed-semantic-redis';
const secrets = { alpha: 'sk-semantic-redis-alpha-0123456789', beta: 'sk-semantic-redis-beta-0123456789' };

describe('semantic cache shared by two replicas through Redis', () => {
  let redis: RedisServer;
  let chat: MockOpenAIUpstream;
  let embeddings: MockOpenAIUpstream;
  const gateways: GatewayHarness[] = [];
  let options: Parameters<typeof startGateway>[0];
  const chatCalls = () => chat.requests.filter((request) => request.path.endsWith('/chat/completions')).length;
  const ask = (gateway: GatewayHarness, secret: string, content: string) =>
    new OpenAI({ apiKey: secret, baseURL: gateway.baseURL, maxRetries: 0 }).chat.completions.create({ model: 'gpt-semantic', temperature: 0, messages: [{ role: 'user', content }] }).withResponse();
  const entries = async (gateway: GatewayHarness) => seriesValue(await gateway.sidecarMetrics(), 'llm_gateway_cache_semantic_entries');

  before(async () => {
    redis = await startRedisServer();
    chat = await startMockOpenAIUpstream({ expectedKey: CHAT_KEY });
    embeddings = await startMockOpenAIUpstream({ expectedKey: EMBED_KEY });
    options = {
      providers: {
        chat: { kind: 'openai', base_url: `http://127.0.0.1:${chat.port}/v1`, credential: { env: 'CHAT_KEY' } },
        embed: { kind: 'openai', base_url: `http://127.0.0.1:${embeddings.port}/v1`, credential: { env: 'EMBED_KEY' } },
      },
      models: {
        'bow-embed': { provider: 'embed', model: 'bow-embed' },
        'gpt-semantic': { provider: 'chat', model: 'gpt-upstream', cache: { semantic: { embeddings_model: 'bow-embed', threshold: 0.9 } } },
      },
      environment: { CHAT_KEY, EMBED_KEY, REDIS_URL: redis.url },
      governance: { mode: 'closed' },
      cache: { store: 'redis' },
      keys: [
        { alias: 'alpha', hash: hashKeySecret(secrets.alpha) },
        { alias: 'beta', hash: hashKeySecret(secrets.beta) },
      ],
    };
    gateways.push(await startGateway(options));
  });

  after(async () => {
    for (const gateway of gateways) await gateway.stop();
    await chat?.close();
    await embeddings?.close();
    await redis?.stop();
  });

  test('a replica started later learns the stored answers, and entries then flow both ways', async () => {
    const [first] = gateways as [GatewayHarness];
    const before = chatCalls();
    assert.equal((await ask(first, secrets.alpha, 'What is the capital city of France?')).response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(chatCalls(), before + 1);

    const second = await startGateway(options);
    gateways.push(second);
    await waitFor('the second replica to read the stream', async () => (await entries(second)) === 1);
    const hit = await ask(second, secrets.alpha, 'what is the capital of France');
    assert.equal(hit.response.headers.get('x-gateway-cache'), 'semantic-hit');
    assert.equal(hit.response.headers.get('x-gateway-cache-similarity'), '0.926');
    assert.equal(hit.data.choices[0]!.message.content, MOCK_REPLY_WORDS.join(''));
    assert.equal(chatCalls(), before + 1, 'answered by the replica that never saw the question');

    // Another tenant, through either replica, does not get it.
    assert.equal((await ask(second, secrets.beta, 'what is the capital of France')).response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(chatCalls(), before + 2);

    // Stored through the second replica (beta's answer, and a new alpha question): the first follows live.
    assert.equal((await ask(second, secrets.alpha, 'How tall is the Eiffel tower in Paris?')).response.headers.get('x-gateway-cache'), 'miss');
    await waitFor('the first replica to follow the stream', async () => (await entries(first)) === 3);
    assert.equal((await ask(first, secrets.alpha, 'how tall is the Eiffel tower in Paris France')).response.headers.get('x-gateway-cache'), 'semantic-hit');
    assert.equal(chatCalls(), before + 3);
  });
});
