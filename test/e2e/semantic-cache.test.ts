import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startMockAnthropicUpstream, type MockAnthropicUpstream } from '../support/mock-anthropic-upstream.js';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { freePort } from '../support/free-port.js';
import { bagOfWordsEmbedding, MOCK_REPLY_WORDS, startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';
import { seriesValue } from '../support/prometheus-text.js';

/**
 * The semantic cache through the real Envoy: the last user turn is embedded through the
 * gateway's own /v1/embeddings (a mock provider whose "bow-" models embed as bags of words,
 * so paraphrases that share words are near), and a near question is answered from the
 * cache without reaching the chat provider, within its tenant only.
 */
const CHAT_KEY = 'sk-provider-chat';
const EMBED_KEY = 'sk-provider-embed';
const secrets = { alpha: 'sk-test-semantic-alpha-0123456789', beta: 'sk-test-semantic-beta-0123456789' };
const REPLY = MOCK_REPLY_WORDS.join('');
// Bag-of-words cosine: 6 shared words of 7 and 6, 6 / sqrt(42) = 0.926.
const QUESTION = 'What is the capital city of France?';
const PARAPHRASE = 'what is the capital of France';

describe('semantic cache through Envoy', () => {
  let chat: MockOpenAIUpstream;
  let embeddings: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  const client = (secret = secrets.alpha) => new OpenAI({ apiKey: secret, baseURL: gateway.baseURL, maxRetries: 0 });
  const chatCalls = () => chat.requests.filter((request) => request.path.endsWith('/chat/completions')).length;

  before(async () => {
    chat = await startMockOpenAIUpstream({ expectedKey: CHAT_KEY });
    embeddings = await startMockOpenAIUpstream({ expectedKey: EMBED_KEY });
    const nobody = await freePort();
    gateway = await startGateway({
      providers: {
        chat: { kind: 'openai', base_url: `http://127.0.0.1:${chat.port}/v1`, credential: { env: 'CHAT_KEY' } },
        embed: { kind: 'openai', base_url: `http://127.0.0.1:${embeddings.port}/v1`, credential: { env: 'EMBED_KEY' } },
        gone: { kind: 'openai', base_url: `http://127.0.0.1:${nobody}/v1`, credential: { env: 'EMBED_KEY' } },
      },
      models: {
        'bow-embed': { provider: 'embed', model: 'bow-embed' },
        'bow-gone': { provider: 'gone', model: 'bow-embed' },
        'gpt-semantic': { provider: 'chat', model: 'gpt-upstream', cache: { semantic: { embeddings_model: 'bow-embed', threshold: 0.9 } } },
        'gpt-semantic-down': { provider: 'chat', model: 'gpt-upstream', cache: { semantic: { embeddings_model: 'bow-gone', threshold: 0.9 } } },
      },
      environment: { CHAT_KEY, EMBED_KEY },
      governance: { mode: 'closed' },
      keys: [
        { alias: 'alpha', hash: hashKeySecret(secrets.alpha) },
        { alias: 'beta', hash: hashKeySecret(secrets.beta) },
      ],
    });
  });

  after(async () => {
    await gateway?.stop();
    await chat?.close();
    await embeddings?.close();
  });

  test('a paraphrase after a miss is a semantic hit, without the chat provider; the embeddings are metered to the tenant', async () => {
    const tokens = async () => seriesValue(await gateway.sidecarMetrics(), 'llm_gateway_key_tokens_total', { key_alias: 'alpha', gen_ai_request_model: 'bow-embed' });
    const tokensBefore = await tokens();
    const before = chatCalls();
    const first = await client().chat.completions.create({ model: 'gpt-semantic', messages: [{ role: 'user', content: QUESTION }], temperature: 0 }).withResponse();
    assert.equal(first.response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(chatCalls(), before + 1);

    const second = await client().chat.completions.create({ model: 'gpt-semantic', messages: [{ role: 'user', content: PARAPHRASE }], temperature: 0 }).withResponse();
    assert.equal(second.response.headers.get('x-gateway-cache'), 'semantic-hit');
    assert.equal(second.response.headers.get('x-gateway-cache-similarity'), '0.926');
    assert.equal(second.data.choices[0]!.message.content, REPLY);
    assert.equal(chatCalls(), before + 1, 'the hit never reached the chat provider');

    // Replayed as a stream the SDK reads, too.
    const stream = client().chat.completions.stream({ model: 'gpt-semantic', messages: [{ role: 'user', content: PARAPHRASE }], temperature: 0 });
    assert.equal((await stream.finalChatCompletion()).choices[0]!.message.content, REPLY);
    assert.equal(chatCalls(), before + 1);

    // Every lookup embedded its question through Envoy with the provider's key (never the client's), and charged alpha for it.
    const embedded = embeddings.requests.slice(-3);
    assert.deepEqual(embedded.map((request) => request.json?.input), [QUESTION, PARAPHRASE, PARAPHRASE]);
    assert.ok(embedded.every((request) => request.headers.authorization === `Bearer ${EMBED_KEY}`));
    const words = (text: string) => text.split(/\s+/).length;
    await waitFor('the embeddings metered to alpha', async () => (await tokens()) === tokensBefore + words(QUESTION) + 2 * words(PARAPHRASE));
  });

  test('another tenant never gets the first tenant\'s answer by meaning', async () => {
    // 8 shared words of 8 and 9: cosine 0.943.
    const question = 'How tall is the Eiffel tower in Paris?';
    const paraphrase = 'how tall is the Eiffel tower in Paris France';
    await client(secrets.alpha).chat.completions.create({ model: 'gpt-semantic', messages: [{ role: 'user', content: question }], temperature: 0 });
    const before = chatCalls();
    const other = await client(secrets.beta).chat.completions.create({ model: 'gpt-semantic', messages: [{ role: 'user', content: paraphrase }], temperature: 0 }).withResponse();
    assert.equal(other.response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(chatCalls(), before + 1);
    // The paraphrase does hit for alpha itself.
    const own = await client(secrets.alpha).chat.completions.create({ model: 'gpt-semantic', messages: [{ role: 'user', content: paraphrase }], temperature: 0 }).withResponse();
    assert.equal(own.response.headers.get('x-gateway-cache'), 'semantic-hit');
  });

  test('a near question with another number is a miss (the default number guard); the same number in other words hits', async () => {
    const stored = 'Plan a 3 day trip to Rome with museums and good food please';
    const otherNumber = 'Plan a 5 day trip to Rome with museums and good food please';
    const cosine = (left: number[], right: number[]) => left.reduce((sum, value, index) => sum + value * right[index]!, 0);
    assert.ok(cosine(bagOfWordsEmbedding(stored), bagOfWordsEmbedding(otherNumber)) >= 0.9, 'near enough for the threshold without the guard');
    await client().chat.completions.create({ model: 'gpt-semantic', messages: [{ role: 'user', content: stored }], temperature: 0 });
    const before = chatCalls();
    const other = await client().chat.completions.create({ model: 'gpt-semantic', messages: [{ role: 'user', content: otherNumber }], temperature: 0 }).withResponse();
    assert.equal(other.response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(chatCalls(), before + 1);
    const same = await client().chat.completions.create({ model: 'gpt-semantic', messages: [{ role: 'user', content: 'plan a 3 day trip to Rome with museums and good food' }], temperature: 0 }).withResponse();
    assert.equal(same.response.headers.get('x-gateway-cache'), 'semantic-hit');
    assert.equal(chatCalls(), before + 1);
  });

  test('a request with tools is never answered by meaning, nor embedded', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'lookup_capital', parameters: { type: 'object', properties: {} } } }];
    const embeddedBefore = embeddings.requests.length;
    const before = chatCalls();
    await client().chat.completions.create({ model: 'gpt-semantic', messages: [{ role: 'user', content: 'Which city is the capital of Spain?' }], tools, temperature: 0 });
    const again = await client().chat.completions.create({ model: 'gpt-semantic', messages: [{ role: 'user', content: 'which city is the capital of Spain' }], tools, temperature: 0 }).withResponse();
    assert.equal(again.response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(chatCalls(), before + 2);
    assert.equal(embeddings.requests.length, embeddedBefore, 'nothing embedded for a request with tools');
  });

  test('an embeddings provider that is down turns the semantic cache into a miss, and the answer is still served', async () => {
    const before = chatCalls();
    const first = await client().chat.completions.create({ model: 'gpt-semantic-down', messages: [{ role: 'user', content: QUESTION }], temperature: 0 }).withResponse();
    assert.equal(first.response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(first.data.choices[0]!.message.content, REPLY);
    const second = await client().chat.completions.create({ model: 'gpt-semantic-down', messages: [{ role: 'user', content: PARAPHRASE }], temperature: 0 }).withResponse();
    assert.equal(second.response.headers.get('x-gateway-cache'), 'miss');
    assert.equal(second.data.choices[0]!.message.content, REPLY);
    assert.equal(chatCalls(), before + 2);
    await waitFor('the failed embedding in the sidecar log', () => gateway.sidecarLogs().includes('semantic cache: no embedding'), () => gateway.sidecarLogs().slice(-2000));
  });
});

describe('semantic cache for Anthropic Messages through Envoy', () => {
  const ANTHROPIC_KEY = 'sk-ant-provider-key-semantic-e2e';
  const secret = 'sk-gw-semantic-messages-0123456789';
  let anthropic: MockAnthropicUpstream;
  let embeddings: MockOpenAIUpstream;
  let gateway: GatewayHarness;

  before(async () => {
    anthropic = await startMockAnthropicUpstream({ expectedKey: ANTHROPIC_KEY });
    embeddings = await startMockOpenAIUpstream({ expectedKey: EMBED_KEY });
    gateway = await startGateway({
      providers: {
        anthropic: { kind: 'anthropic', base_url: `http://127.0.0.1:${anthropic.port}/v1`, credential: { env: 'ANTHROPIC_API_KEY' } },
        embed: { kind: 'openai', base_url: `http://127.0.0.1:${embeddings.port}/v1`, credential: { env: 'EMBED_KEY' } },
      },
      models: {
        'bow-embed': { provider: 'embed', model: 'bow-embed' },
        // Messages requests have no temperature since API version 2026-10-21: none is "deterministic".
        claude: { provider: 'anthropic', model: 'claude-haiku-4-5', cache: { deterministic_only: false, semantic: { embeddings_model: 'bow-embed', threshold: 0.9 } } },
      },
      environment: { ANTHROPIC_API_KEY: ANTHROPIC_KEY, EMBED_KEY },
      governance: { mode: 'closed' },
      keys: [{ alias: 'dev', hash: hashKeySecret(secret) }],
    });
  });

  after(async () => {
    await gateway?.stop();
    await anthropic?.close();
    await embeddings?.close();
  });

  test('a paraphrase from an Anthropic client (x-api-key) is a semantic hit, replayed as a Messages stream', async () => {
    const client = new Anthropic({ baseURL: `http://127.0.0.1:${gateway.listenerPort}`, maxRetries: 0, apiKey: secret, authToken: null });
    const before = anthropic.requests.length;
    const first = await client.messages.create({ model: 'claude', max_tokens: 64, messages: [{ role: 'user', content: QUESTION }] }).withResponse();
    assert.equal(first.response.headers.get('x-gateway-cache'), 'miss');
    const text = first.data.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    const second = await client.messages.create({ model: 'claude', max_tokens: 64, messages: [{ role: 'user', content: PARAPHRASE }] }).withResponse();
    assert.equal(second.response.headers.get('x-gateway-cache'), 'semantic-hit');
    assert.equal(second.response.headers.get('x-gateway-cache-similarity'), '0.926');
    const streamed = await client.messages.stream({ model: 'claude', max_tokens: 64, messages: [{ role: 'user', content: PARAPHRASE }] }).finalMessage();
    assert.equal(streamed.content.map((block) => (block.type === 'text' ? block.text : '')).join(''), text);
    assert.equal(anthropic.requests.length, before + 1, 'only the first question reached Anthropic');
    assert.equal(embeddings.requests.length, 3, 'each question was embedded through the gateway with the client\'s key');
  });
});
