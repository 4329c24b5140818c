import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { anthropicAdapter } from '../../../src/providers/anthropic/anthropic-adapter.js';
import { mapAnthropicFinishReason } from '../../../src/providers/anthropic/map-anthropic-finish-reason.js';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '../../../src/providers/openai/openai-api.js';
import type { TranslatedResponse, TranslationContext } from '../../../src/providers/provider-adapter.js';

// Tests run compiled, from dist/test/providers/anthropic, four levels under the package root.
const FIXTURES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../test/fixtures/anthropic');
const fixture = (name: string): Buffer => readFileSync(resolve(FIXTURES, name));

const context: TranslationContext = { responseId: 'chatcmpl-anthropic123', created: 1767225600, model: 'claude-alias', includeUsage: false };

function translate(status: number, body: Buffer | string): TranslatedResponse {
  return anthropicAdapter.translateResponse({ status, headers: { 'content-type': 'application/json' }, body: Buffer.isBuffer(body) ? body : Buffer.from(body) }, context);
}

function json(translated: TranslatedResponse): unknown {
  assert.ok(translated.body, 'a rewritten body');
  return JSON.parse(translated.body.toString('utf8'));
}

const completion = (model: string, message: Record<string, unknown>, finishReason: string, usage: Record<string, unknown>) => ({
  id: 'chatcmpl-anthropic123',
  object: 'chat.completion',
  created: 1767225600,
  model,
  choices: [{ index: 0, message: { role: 'assistant', refusal: null, annotations: [], ...message }, logprobs: null, finish_reason: finishReason }],
  usage,
});
const openAIUsage = (prompt: number, completionTokens: number, cached = 0, cacheWrite = 0, reasoning = 0) => ({
  prompt_tokens: prompt,
  completion_tokens: completionTokens,
  total_tokens: prompt + completionTokens,
  prompt_tokens_details: { cached_tokens: cached, ...(cacheWrite ? { cache_write_tokens: cacheWrite } : {}) },
  completion_tokens_details: { reasoning_tokens: reasoning },
});

describe('anthropicAdapter.buildRequest', () => {
  const request = chatCompletionRequestSchema.parse({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 20 }) as ChatCompletionRequest;

  test('POST {prefix}/messages with the version header, the key in x-api-key, and the converted body', () => {
    const upstream = anthropicAdapter.buildRequest(request, { model: 'claude-haiku-4-5', pathPrefix: '/v1', credential: 'sk-ant-secret' });
    assert.equal(upstream.path, '/v1/messages');
    assert.deepEqual(upstream.headers, { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-secret' });
    assert.equal(
      upstream.body.toString('utf8'),
      '{"model":"claude-haiku-4-5","max_tokens":20,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]}',
    );
  });

  test('no credential, no x-api-key header; the streamed request asks for stream', () => {
    const streamed = chatCompletionRequestSchema.parse({ ...request, stream: true }) as ChatCompletionRequest;
    const upstream = anthropicAdapter.buildRequest(streamed, { model: 'claude-haiku-4-5', pathPrefix: '/anthropic/v1', credential: undefined });
    assert.equal(upstream.path, '/anthropic/v1/messages');
    assert.deepEqual(upstream.headers, { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' });
    assert.equal(JSON.parse(upstream.body.toString('utf8')).stream, true);
  });
});

describe('anthropicAdapter.translateResponse', () => {
  test('text: blocks concatenated, gateway id and time, provider model, usage', () => {
    const translated = translate(200, fixture('text.json'));
    assert.equal(translated.status, 200);
    assert.deepEqual(translated.headers, { 'content-type': 'application/json' });
    assert.deepEqual(json(translated), completion('claude-sonnet-4-5-20250929', { content: 'Hello, wörld 👋 How can I help?' }, 'stop', openAIUsage(25, 15)));
    assert.deepEqual(translated.usage, { promptTokens: 25, completionTokens: 15, totalTokens: 40, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    assert.equal(translated.model, 'claude-sonnet-4-5-20250929');
  });

  test('tool calls: tool_use blocks become tool_calls with JSON-string arguments; null cache counts read as 0', () => {
    const translated = translate(200, fixture('tool-call.json'));
    assert.deepEqual(
      json(translated),
      completion(
        'claude-haiku-4-5-20251001',
        {
          content: "I'll look up both cities.",
          tool_calls: [
            { id: 'toolu_01AbCdEfGhParis', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } },
            { id: 'toolu_01NoArgsCurrentTime', type: 'function', function: { name: 'current_time', arguments: '{}' } },
          ],
        },
        'tool_calls',
        openAIUsage(618, 121),
      ),
    );
  });

  test('a refusal with no content: content null, finish_reason content_filter', () => {
    assert.deepEqual(json(translate(200, fixture('refusal.json'))), completion('claude-sonnet-4-5-20250929', { content: null }, 'content_filter', openAIUsage(31, 0)));
  });

  test('max_tokens reached: finish_reason length', () => {
    assert.deepEqual(json(translate(200, fixture('max-tokens.json'))), completion('claude-3-5-haiku-20241022', { content: 'Once upon a' }, 'length', openAIUsage(14, 5)));
  });

  test('cache reads and writes count in the prompt; thinking is reasoning_content and thinking_blocks, never content, and its tokens are reasoning tokens', () => {
    const translated = translate(200, fixture('cache-and-thinking.json'));
    // prompt = 12 input + 1500 cache creation + 3200 cache read.
    assert.deepEqual(
      json(translated),
      completion(
        'claude-opus-4-1-20250805',
        {
          content: 'Section 4 covers termination.',
          reasoning_content: "The contract's termination clause is in section 4.",
          thinking_blocks: [
            { type: 'thinking', thinking: "The contract's termination clause is in section 4.", signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxJbcBh0Hp3k+gJMBQiMGiI2BRYlUZc3GwXyv0XxHs4h0lMI0W6vHg=' },
            { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP' },
          ],
        },
        'stop',
        openAIUsage(4712, 140, 3200, 1500, 118),
      ),
    );
    assert.deepEqual(translated.usage, { promptTokens: 4712, completionTokens: 140, totalTokens: 4852, cachedTokens: 3200, cacheWriteTokens: 1500, reasoningTokens: 118 });
  });

  test('a Message without model or usage: the context model, no usage', () => {
    const translated = translate(200, '{"type":"message","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn"}');
    const body = json(translated) as Record<string, unknown>;
    assert.equal(body.model, 'claude-alias');
    assert.equal('usage' in body, false);
    assert.equal(translated.usage, undefined);
    assert.equal(translated.model, undefined);
  });

  test('a 200 whose body is not a Message is a 502', () => {
    const translated = translate(200, 'not json');
    assert.equal(translated.status, 502);
    assert.deepEqual(json(translated), { error: { message: 'The upstream provider sent a response the gateway could not read.', type: 'server_error', param: null, code: 'bad_upstream_response' } });
  });
});

describe('Anthropic errors in OpenAI form', () => {
  const cases: [file: string, status: number, expectedStatus: number, expected: Record<string, unknown>][] = [
    ['error-529-overloaded.json', 529, 503, { message: 'Overloaded', type: 'server_error', param: null, code: 'overloaded_error' }],
    [
      'error-429-rate-limit.json',
      429,
      429,
      {
        message: 'This request would exceed the rate limit for your organization of 50,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.',
        type: 'rate_limit_error',
        param: null,
        code: 'rate_limit_error',
      },
    ],
    [
      'error-429-spend-limit.json',
      429,
      429,
      {
        message: 'You have reached your specified workspace API usage limits. You will regain access on 2026-09-01 at 00:00 UTC.',
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    ],
    [
      'error-400-invalid-request.json',
      400,
      400,
      {
        message:
          'messages.1.content.0.tool_result: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01Missing. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_request_error',
      },
    ],
    ['error-401-authentication.json', 401, 401, { message: 'invalid x-api-key', type: 'authentication_error', param: null, code: 'authentication_error' }],
    [
      'error-402-billing.json',
      402,
      402,
      {
        message: 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
        type: 'insufficient_quota',
        param: null,
        code: 'billing_error',
      },
    ],
  ];
  for (const [file, status, expectedStatus, expected] of cases) {
    test(`${file}: HTTP ${status} -> ${expectedStatus}`, () => {
      const translated = translate(status, fixture(file));
      assert.equal(translated.status, expectedStatus);
      assert.deepEqual(translated.headers, { 'content-type': 'application/json' });
      assert.deepEqual(json(translated), { error: expected });
      assert.equal(translated.usage, undefined);
    });
  }

  test('other Anthropic types: permission, not found, too large, api, timeout', () => {
    const anthropicError = (type: string) => JSON.stringify({ type: 'error', error: { type, message: `a ${type}` }, request_id: 'req_1' });
    const expectations: [string, number, string][] = [
      ['permission_error', 403, 'permission_error'],
      ['not_found_error', 404, 'not_found_error'],
      ['request_too_large', 413, 'invalid_request_error'],
      ['api_error', 500, 'server_error'],
      ['timeout_error', 504, 'server_error'],
      ['some_future_error', 409, 'invalid_request_error'],
    ];
    for (const [type, status, openAIType] of expectations) {
      const translated = translate(status, anthropicError(type));
      assert.equal(translated.status, status, type);
      assert.deepEqual(json(translated), { error: { message: `a ${type}`, type: openAIType, param: null, code: type } });
    }
  });

  test('an OpenAI-shaped error body (the gateway’s or Envoy’s own) passes through unchanged', () => {
    const body = '{"error":{"message":"No healthy upstream.","type":"server_error","param":null,"code":"no_healthy_upstream"}}';
    const translated = translate(503, body);
    assert.deepEqual(translated, { status: 503, body: undefined, usage: undefined, model: undefined });
  });

  test('a plain-text error (a proxy in front of Anthropic) is wrapped; a bare 529 still becomes 503', () => {
    const translated = translate(529, 'upstream overloaded');
    assert.equal(translated.status, 503);
    assert.deepEqual(json(translated), { error: { message: 'upstream overloaded', type: 'server_error', param: null, code: null } });
  });
});

describe('mapAnthropicFinishReason', () => {
  test('every documented stop_reason, and the unknown and null ones', () => {
    const cases: [string | null | undefined, string][] = [
      ['end_turn', 'stop'],
      ['stop_sequence', 'stop'],
      ['pause_turn', 'stop'],
      ['max_tokens', 'length'],
      ['model_context_window_exceeded', 'length'],
      ['tool_use', 'tool_calls'],
      ['refusal', 'content_filter'],
      ['something_new', 'stop'],
      [null, 'stop'],
      [undefined, 'stop'],
    ];
    for (const [reason, expected] of cases) assert.equal(mapAnthropicFinishReason(reason), expected, String(reason));
  });
});
