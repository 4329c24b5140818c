import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfiguration } from '../../src/config/load.js';
import { buildRuntimeView, type TargetRuntime } from '../../src/config/runtime.js';
import { embeddingsEndpoint } from '../../src/endpoints/embeddings-endpoint.js';
import { GatewayError } from '../../src/errors.js';
import type { TranslationContext } from '../../src/providers/provider-adapter.js';
import { createProviderRegistry } from '../../src/providers/registry.js';

/** One target per provider kind, as a configuration names them. */
const view = buildRuntimeView(
  parseConfiguration(
    `
providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: KEY } }
  ollama: { kind: openai, base_url: http://127.0.0.1:11434/v1 }
  azure: { kind: azure-openai, base_url: https://res.openai.azure.com/openai, api_version: 2024-10-21, credential: { env: KEY } }
  gemini: { kind: gemini, base_url: https://generativelanguage.googleapis.com/v1beta, credential: { env: KEY } }
  anthropic: { kind: anthropic, base_url: https://api.anthropic.com, credential: { env: KEY } }
models:
  small: { provider: openai, model: text-embedding-3-small }
  ada: { provider: openai, model: text-embedding-ada-002 }
  local: { provider: ollama, model: nomic-embed-text }
  azure: { provider: azure, model: my-embeddings }
  gem: { provider: gemini, model: gemini-embedding-001 }
  claude: { provider: anthropic, model: claude-sonnet-4 }
`,
    {},
  ),
  { environment: { KEY: 'sk-provider-test' } },
);
const registry = createProviderRegistry();
const target = (alias: string): TargetRuntime => view.models.get(alias)!.targets[0]!;
const parse = (body: unknown) => embeddingsEndpoint.parse(Buffer.from(JSON.stringify(body)), {});
const build = (alias: string, body: Record<string, unknown>) => {
  const upstream = embeddingsEndpoint.buildUpstream(registry, parse({ model: alias, ...body }), target(alias));
  return { ...upstream, json: JSON.parse(upstream.body.toString('utf8')) as Record<string, any> };
};
const refusal = (run: () => unknown): GatewayError => {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof GatewayError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
};
const context: TranslationContext = { responseId: 'emb-1', created: 1, model: 'gemini-embedding-001', includeUsage: false };

describe('POST /v1/embeddings: parsing', () => {
  test('takes a string, strings, a token array and token arrays', () => {
    for (const input of ['hello', ['a', 'b'], [1, 2, 3], [[1, 2], [3]]]) assert.deepEqual(parse({ model: 'm', input }).input, input);
  });

  test('refuses what OpenAI refuses, in OpenAI form, naming the field', () => {
    const cases: Array<[unknown, string]> = [
      [{ input: 'x' }, 'model'],
      [{ model: 'm' }, 'input'],
      [{ model: 'm', input: '' }, 'input'],
      [{ model: 'm', input: [] }, 'input'],
      [{ model: 'm', input: [1, -2] }, 'input'],
      [{ model: 'm', input: { text: 'x' } }, 'input'],
      [{ model: 'm', input: 'x', encoding_format: 'int8' }, 'encoding_format'],
      [{ model: 'm', input: 'x', dimensions: 0 }, 'dimensions'],
      [{ model: 'm', input: 'x', dimensions: 1.5 }, 'dimensions'],
    ];
    for (const [body, field] of cases) {
      const error = refusal(() => parse(body));
      assert.equal(error.status, 400, JSON.stringify(body));
      assert.ok(error.param?.startsWith(field), `${JSON.stringify(body)}: param ${error.param}`);
      assert.equal(error.type, 'invalid_request_error');
    }
    assert.equal(refusal(() => embeddingsEndpoint.parse(Buffer.alloc(0), {})).code, 'missing_body');
    assert.equal(refusal(() => parse({ model: 'm', input: Array.from({ length: 2049 }, () => 'x') })).param, 'input');
  });

  test('admission reserves no output and bounds the prompt by the body', () => {
    const body = Buffer.from(JSON.stringify({ model: 'm', input: ['one', 'two'] }));
    assert.deepEqual(embeddingsEndpoint.admissionBounds(embeddingsEndpoint.parse(body, {}), body.length), { promptTokens: body.length, maxOutputTokens: 0 });
    assert.equal(embeddingsEndpoint.promptText(parse({ model: 'm', input: ['one', 'two'] })), 'one\ntwo');
    assert.equal(embeddingsEndpoint.isStream(parse({ model: 'm', input: 'x' })), false);
  });
});

describe('POST /v1/embeddings: OpenAI-shaped targets', () => {
  test('OpenAI: the body passes through with the target model, the key as a bearer token', () => {
    const upstream = build('small', { input: ['a', 'b'], encoding_format: 'base64', dimensions: 256, user: 'u1' });
    assert.equal(upstream.path, '/v1/embeddings');
    assert.equal(upstream.headers.authorization, 'Bearer sk-provider-test');
    assert.deepEqual(upstream.json, { model: 'text-embedding-3-small', input: ['a', 'b'], encoding_format: 'base64', dimensions: 256, user: 'u1' });
  });

  test('an OpenAI-compatible server takes token arrays and sends no credential when it has none', () => {
    const upstream = build('local', { input: [[1, 2], [3]] });
    assert.equal(upstream.headers.authorization, undefined);
    assert.deepEqual(upstream.json.input, [[1, 2], [3]]);
    assert.equal(upstream.json.model, 'nomic-embed-text');
  });

  test('Azure: the deployment path with api-version, the key in api-key', () => {
    const upstream = build('azure', { input: 'x' });
    assert.equal(upstream.path, '/openai/deployments/my-embeddings/embeddings?api-version=2024-10-21');
    assert.equal(upstream.headers['api-key'], 'sk-provider-test');
    assert.equal(upstream.headers.authorization, undefined);
  });

  test('dimensions on a fixed-size model is a 400 naming it, before anything is sent', () => {
    const error = refusal(() => build('ada', { input: 'x', dimensions: 256 }));
    assert.equal(error.status, 400);
    assert.equal(error.param, 'dimensions');
    assert.doesNotThrow(() => build('ada', { input: 'x' }));
  });

  test('the answer passes through, read for usage; a server without usage has its prompt counted', () => {
    const handling = embeddingsEndpoint.responseHandling(registry, 'openai', parse({ model: 'small', input: 'x' }))!;
    const body = Buffer.from(JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1] }], model: 'text-embedding-3-small', usage: { prompt_tokens: 5, total_tokens: 5 } }));
    const translated = handling.translateResponse({ status: 200, headers: {}, body }, context);
    assert.equal(translated.body, undefined);
    assert.equal(translated.usage?.promptTokens, 5);
    assert.equal(translated.usage?.totalTokens, 5);
    assert.equal(translated.completeUsage, undefined);
    const bare = handling.translateResponse({ status: 200, headers: {}, body: Buffer.from('{"object":"list","data":[]}') }, context);
    assert.equal(bare.usage, undefined);
    assert.equal(bare.completeUsage?.(9).usage?.promptTokens, 9);
    assert.equal(handling.createStreamTranslator, undefined, 'embeddings never stream');
  });
});

describe('POST /v1/embeddings: Gemini', () => {
  test('one string is embedContent; dimensions becomes outputDimensionality; the key in x-goog-api-key', () => {
    const upstream = build('gem', { input: 'hello', dimensions: 8, encoding_format: 'base64', user: 'u1' });
    assert.equal(upstream.path, '/v1beta/models/gemini-embedding-001:embedContent');
    assert.equal(upstream.headers['x-goog-api-key'], 'sk-provider-test');
    assert.equal(upstream.headers.authorization, undefined);
    assert.deepEqual(upstream.json, { content: { parts: [{ text: 'hello' }] }, outputDimensionality: 8 });
  });

  test('an array is batchEmbedContents, each request naming the model', () => {
    const upstream = build('gem', { input: ['a', 'b'] });
    assert.equal(upstream.path, '/v1beta/models/gemini-embedding-001:batchEmbedContents');
    assert.deepEqual(upstream.json, {
      requests: [
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] } },
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'b' }] } },
      ],
    });
  });

  test('token arrays, more than 100 inputs and unknown fields are 400s naming the field', () => {
    assert.equal(refusal(() => build('gem', { input: [1, 2, 3] })).param, 'input');
    assert.equal(refusal(() => build('gem', { input: [[1], [2]] })).param, 'input');
    assert.match(refusal(() => build('gem', { input: [[1], [2]] })).message, /text only/);
    assert.equal(refusal(() => build('gem', { input: Array.from({ length: 101 }, () => 'x') })).param, 'input');
    assert.equal(refusal(() => build('gem', { input: 'x', truncate_prompt_tokens: 5 })).param, 'truncate_prompt_tokens');
  });

  test('the answer in OpenAI form, floats or base64 float32 little-endian, usage from the gateway count', () => {
    const vectors = [[0.5, -1.25, 3], [0.1, 0.2, 0.3]];
    const body = Buffer.from(JSON.stringify({ embeddings: vectors.map((values) => ({ values })) }));
    for (const encoding of ['float', 'base64'] as const) {
      const request = parse({ model: 'gem', input: ['a', 'b'], encoding_format: encoding });
      const translated = embeddingsEndpoint.responseHandling(registry, 'gemini', request)!.translateResponse({ status: 200, headers: {}, body }, context);
      assert.equal(translated.usage, undefined, 'Gemini reports none: the gateway counts');
      const done = translated.completeUsage!(7);
      assert.deepEqual(done.usage, { promptTokens: 7, completionTokens: 0, totalTokens: 7, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
      const answer = JSON.parse(done.body!.toString('utf8'));
      assert.equal(answer.object, 'list');
      assert.equal(answer.model, 'gemini-embedding-001');
      assert.deepEqual(answer.usage, { prompt_tokens: 7, total_tokens: 7 });
      assert.deepEqual(answer.data.map((item: any) => [item.object, item.index]), [['embedding', 0], ['embedding', 1]]);
      const decoded = answer.data.map((item: any) => (encoding === 'float' ? item.embedding : [...new Float32Array(new Uint8Array(Buffer.from(item.embedding, 'base64')).buffer)]));
      // float32 holds these exactly except 0.1..0.3: compare at float32 precision.
      assert.deepEqual(decoded.map((vector: number[]) => vector.map((value) => Math.fround(value))), vectors.map((vector) => vector.map((value) => Math.fround(value))));
      if (encoding === 'base64') assert.equal(answer.data[0].embedding, Buffer.from(new Float32Array([0.5, -1.25, 3]).buffer).toString('base64'));
    }
  });

  test('embedContent\'s single vector; a missing vector is a 502; a Gemini error keeps its status in OpenAI form', () => {
    const handling = embeddingsEndpoint.responseHandling(registry, 'gemini', parse({ model: 'gem', input: 'x' }))!;
    const one = handling.translateResponse({ status: 200, headers: {}, body: Buffer.from('{"embedding":{"values":[1,2]}}') }, context).completeUsage!(1);
    assert.deepEqual(JSON.parse(one.body!.toString()).data[0].embedding, [1, 2]);
    const twoAsked = embeddingsEndpoint.responseHandling(registry, 'gemini', parse({ model: 'gem', input: ['x', 'y'] }))!;
    assert.equal(twoAsked.translateResponse({ status: 200, headers: {}, body: Buffer.from('{"embeddings":[{"values":[1]}]}') }, context).status, 502);
    const failed = handling.translateResponse({ status: 429, headers: {}, body: Buffer.from('{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}') }, context);
    assert.equal(failed.status, 429);
    assert.deepEqual(JSON.parse(failed.body!.toString()).error.code, 'resource_exhausted');
  });
});

describe('POST /v1/embeddings: Anthropic', () => {
  test('a 400 naming the model: Anthropic has no embeddings API', () => {
    const error = refusal(() => build('claude', { input: 'x' }));
    assert.equal(error.status, 400);
    assert.equal(error.param, 'model');
    assert.match(error.message, /no embeddings API/);
    assert.equal(embeddingsEndpoint.responseHandling(registry, 'anthropic', parse({ model: 'claude', input: 'x' })), undefined);
  });
});
