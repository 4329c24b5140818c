import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { geminiAdapter } from '../../../src/providers/gemini/gemini-adapter.js';
import { mapGeminiFinishReason } from '../../../src/providers/gemini/map-gemini-finish-reason.js';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '../../../src/providers/openai/openai-api.js';
import type { TranslatedResponse, TranslationContext } from '../../../src/providers/provider-adapter.js';

// Works from test/ and from dist/test/ alike: both sit four levels under the package root.
const FIXTURES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../test/fixtures/gemini');
const fixture = (name: string): Buffer => readFileSync(resolve(FIXTURES, name));

const context: TranslationContext = { responseId: 'chatcmpl-test123', created: 1767225600, model: 'gemini-alias', includeUsage: false };
const target = { model: 'gemini-2.5-flash', pathPrefix: '/v1beta', credential: 'AIza-test-key' };

const request = (fields: Record<string, unknown>): ChatCompletionRequest =>
  chatCompletionRequestSchema.parse({ model: 'gemini', messages: [{ role: 'user', content: 'Hi' }], ...fields }) as ChatCompletionRequest;

function translate(name: string, status = 200): TranslatedResponse {
  return geminiAdapter.translateResponse({ status, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: fixture(name) }, context);
}

function parsed(result: TranslatedResponse): unknown {
  assert.ok(result.body, 'a rewritten body');
  return JSON.parse(result.body.toString('utf8'));
}

const ZERO_CACHE = { cached_tokens: 0 };

describe('geminiAdapter.buildRequest', () => {
  test('non-streamed: generateContent, the key in x-goog-api-key, the converted body', () => {
    const upstream = geminiAdapter.buildRequest(request({ max_tokens: 50 }), target);
    assert.equal(upstream.path, '/v1beta/models/gemini-2.5-flash:generateContent');
    assert.deepEqual(upstream.headers, { 'content-type': 'application/json', 'x-goog-api-key': 'AIza-test-key' });
    assert.deepEqual(JSON.parse(upstream.body.toString('utf8')), { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }], generationConfig: { maxOutputTokens: 50 } });
  });

  test('streamed: streamGenerateContent with alt=sse; the model name is encoded; no key header without a credential', () => {
    const upstream = geminiAdapter.buildRequest(request({ stream: true, stream_options: { include_usage: true } }), { model: 'tuned/model x', pathPrefix: '/v1beta', credential: undefined });
    assert.equal(upstream.path, '/v1beta/models/tuned%2Fmodel%20x:streamGenerateContent?alt=sse');
    assert.deepEqual(upstream.headers, { 'content-type': 'application/json' });
    assert.deepEqual(JSON.parse(upstream.body.toString('utf8')), { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });
  });
});

describe('geminiAdapter.translateResponse', () => {
  test('text: one choice, the gateway id and time, Gemini model version, usage', () => {
    const result = translate('text.json');
    assert.equal(result.status, 200);
    assert.deepEqual(result.headers, { 'content-type': 'application/json' });
    assert.equal(
      result.body?.toString('utf8'),
      JSON.stringify({
        id: 'chatcmpl-test123',
        object: 'chat.completion',
        created: 1767225600,
        model: 'gemini-3-flash-preview',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Bonjour ! Ça va très bien, merci 👋', refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
        usage: { prompt_tokens: 11, completion_tokens: 23, total_tokens: 34, prompt_tokens_details: ZERO_CACHE, completion_tokens_details: { reasoning_tokens: 0 } },
      }),
    );
    assert.deepEqual(result.usage, { promptTokens: 11, completionTokens: 23, totalTokens: 34, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    assert.equal(result.model, 'gemini-3-flash-preview');
  });

  test('a function call: synthesized deterministic id, arguments as a JSON string, finish_reason tool_calls, thoughts in usage', () => {
    const result = translate('tool-call.json');
    assert.deepEqual(parsed(result), {
      id: 'chatcmpl-test123',
      object: 'chat.completion',
      created: 1767225600,
      model: 'gemini-3-flash-preview',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            annotations: [],
            tool_calls: [{ id: 'call_test123_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } }],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 62, completion_tokens: 76, total_tokens: 138, prompt_tokens_details: ZERO_CACHE, completion_tokens_details: { reasoning_tokens: 58 } },
    });
  });

  test('parallel function calls after text', () => {
    const choice = (parsed(translate('parallel-tool-calls.json')) as any).choices[0];
    assert.deepEqual(choice, {
      index: 0,
      message: {
        role: 'assistant',
        content: 'Checking both cities.',
        refusal: null,
        annotations: [],
        tool_calls: [
          { id: 'call_test123_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_test123_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"London"}' } },
        ],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    });
  });

  test('a call id Gemini sends is kept, and a call without args has "{}"', () => {
    const body = Buffer.from(JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'get_time', id: 'fc-7' } }] }, finishReason: 'STOP' }] }));
    const completion = parsed(geminiAdapter.translateResponse({ status: 200, headers: {}, body }, context)) as any;
    assert.deepEqual(completion.choices[0].message.tool_calls, [{ id: 'fc-7', type: 'function', function: { name: 'get_time', arguments: '{}' } }]);
    assert.equal(completion.model, 'gemini-alias', 'the context model when Gemini names none');
    assert.equal(completion.usage, undefined);
  });

  test('a function name escaped for Gemini comes back as the client declared it', () => {
    const sent = JSON.parse(geminiAdapter.buildRequest(request({ tools: [{ type: 'function', function: { name: '3d_render' } }] }), target).body.toString('utf8'));
    const geminiName = sent.tools[0].functionDeclarations[0].name;
    assert.notEqual(geminiName, '3d_render', 'Gemini names begin with a letter or "_"');
    const body = Buffer.from(JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: geminiName, args: { scene: 'cube' } } }] }, finishReason: 'STOP' }] }));
    const completion = parsed(geminiAdapter.translateResponse({ status: 200, headers: {}, body }, context)) as any;
    assert.equal(completion.choices[0].message.tool_calls[0].function.name, '3d_render');
  });

  test('thought summaries are reasoning_content, never content; thoughts count as reasoning, tool-use prompt as prompt, cache as cached', () => {
    const result = translate('thinking.json');
    const completion = parsed(result) as any;
    assert.equal(completion.choices[0].message.content, '2 + 3 + 5 + 7 = 17.');
    assert.equal(completion.choices[0].message.reasoning_content, '**Weighing the primes**\n\nI list the primes below 10 and add them.');
    assert.deepEqual(completion.usage, {
      prompt_tokens: 4140,
      completion_tokens: 132,
      total_tokens: 4272,
      prompt_tokens_details: { cached_tokens: 4096 },
      completion_tokens_details: { reasoning_tokens: 120 },
    });
    assert.deepEqual(result.usage, { promptTokens: 4140, completionTokens: 132, totalTokens: 4272, cachedTokens: 4096, cacheWriteTokens: 0, reasoningTokens: 120 });
  });

  test('SAFETY becomes content_filter; MAX_TOKENS becomes length', () => {
    const safety = parsed(translate('safety.json')) as any;
    assert.deepEqual(safety.choices, [{ index: 0, message: { role: 'assistant', content: null, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'content_filter' }]);
    const length = parsed(translate('max-tokens.json')) as any;
    assert.equal(length.choices[0].message.content, 'The three laws');
    assert.equal(length.choices[0].finish_reason, 'length');
    assert.deepEqual(length.usage.completion_tokens_details, { reasoning_tokens: 60 });
    assert.equal(length.usage.completion_tokens, 64);
  });

  test('a blocked prompt is one empty choice finished by content_filter', () => {
    const completion = parsed(translate('prompt-blocked.json')) as any;
    assert.deepEqual(completion, {
      id: 'chatcmpl-test123',
      object: 'chat.completion',
      created: 1767225600,
      model: 'gemini-2.5-flash',
      choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'content_filter' }],
      usage: { prompt_tokens: 9, completion_tokens: 0, total_tokens: 9, prompt_tokens_details: ZERO_CACHE, completion_tokens_details: { reasoning_tokens: 0 } },
    });
  });

  test('several candidates are several choices; call ids stay unique across them', () => {
    const body = Buffer.from(
      JSON.stringify({
        candidates: [
          { content: { role: 'model', parts: [{ functionCall: { name: 'f', args: { n: 1 } } }] }, finishReason: 'STOP', index: 0 },
          { content: { role: 'model', parts: [{ functionCall: { name: 'f', args: { n: 2 } } }] }, finishReason: 'STOP', index: 1 },
        ],
      }),
    );
    const choices = (parsed(geminiAdapter.translateResponse({ status: 200, headers: {}, body }, context)) as any).choices;
    assert.deepEqual(
      choices.map((choice: any) => [choice.index, choice.message.tool_calls[0].id]),
      [
        [0, 'call_test123_0'],
        [1, 'call_test123_1'],
      ],
    );
  });

  test('logprobs become OpenAI logprobs with UTF-8 bytes', () => {
    const body = Buffer.from(
      JSON.stringify({
        candidates: [
          {
            content: { role: 'model', parts: [{ text: 'Ça' }] },
            finishReason: 'STOP',
            logprobsResult: {
              topCandidates: [{ candidates: [{ token: 'Ça', logProbability: -0.1 }, { token: 'Ca', logProbability: -2.5 }] }],
              chosenCandidates: [{ token: 'Ça', logProbability: -0.1 }],
            },
          },
        ],
      }),
    );
    const choice = (parsed(geminiAdapter.translateResponse({ status: 200, headers: {}, body }, context)) as any).choices[0];
    assert.deepEqual(choice.logprobs, {
      content: [
        {
          token: 'Ça',
          logprob: -0.1,
          bytes: [195, 135, 97],
          top_logprobs: [
            { token: 'Ça', logprob: -0.1, bytes: [195, 135, 97] },
            { token: 'Ca', logprob: -2.5, bytes: [67, 97] },
          ],
        },
      ],
      refusal: null,
    });
  });

  test('a 200 that is not a GenerateContentResponse is a 502', () => {
    const result = geminiAdapter.translateResponse({ status: 200, headers: {}, body: Buffer.from('<html>oops</html>') }, context);
    assert.equal(result.status, 502);
    assert.equal((parsed(result) as any).error.code, 'bad_upstream_response');
  });
});

describe('Gemini errors', () => {
  test('429 RESOURCE_EXHAUSTED stays 429, keeps the message, and RetryInfo becomes retry-after', () => {
    const result = translate('error-429.json', 429);
    assert.equal(result.status, 429);
    assert.deepEqual(result.headers, { 'content-type': 'application/json', 'retry-after': '35' });
    assert.equal(
      result.body?.toString('utf8'),
      JSON.stringify({
        error: {
          message: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.',
          type: 'rate_limit_error',
          param: null,
          code: 'resource_exhausted',
        },
      }),
    );
    assert.equal(result.usage, undefined);
  });

  test('status, type and code for the statuses Gemini uses', () => {
    const cases: [number, string, string][] = [
      [400, 'INVALID_ARGUMENT', 'invalid_request_error'],
      [403, 'PERMISSION_DENIED', 'permission_error'],
      [404, 'NOT_FOUND', 'not_found_error'],
      [500, 'INTERNAL', 'server_error'],
      [503, 'UNAVAILABLE', 'server_error'],
    ];
    for (const [code, status, type] of cases) {
      const body = Buffer.from(JSON.stringify({ error: { code, message: `${status} happened`, status } }));
      const result = geminiAdapter.translateResponse({ status: code, headers: {}, body }, context);
      assert.equal(result.status, code);
      assert.deepEqual(parsed(result), { error: { message: `${status} happened`, type, param: null, code: status.toLowerCase() } });
      assert.deepEqual(result.headers, { 'content-type': 'application/json' });
    }
    const apiKey = translate('error-400-api-key.json', 400);
    assert.deepEqual(parsed(apiKey), { error: { message: 'API key not valid. Please pass a valid API key.', type: 'invalid_request_error', param: null, code: 'invalid_argument' } });
  });

  test('an OpenAI-shaped error passes through unchanged; plain text is wrapped', () => {
    const openAI = Buffer.from(JSON.stringify({ error: { message: 'no', type: 'invalid_request_error', param: null, code: null } }));
    const passed = geminiAdapter.translateResponse({ status: 400, headers: {}, body: openAI }, context);
    assert.equal(passed.status, 400);
    assert.equal(passed.body, undefined);
    const text = geminiAdapter.translateResponse({ status: 502, headers: {}, body: Buffer.from('upstream connect error') }, context);
    assert.equal(text.status, 502);
    assert.deepEqual(parsed(text), { error: { message: 'upstream connect error', type: 'server_error', param: null, code: null } });
  });
});

describe('mapGeminiFinishReason', () => {
  test('every documented reason maps into OpenAI vocabulary', () => {
    const table: [string | undefined, boolean, string][] = [
      ['STOP', false, 'stop'],
      ['STOP', true, 'tool_calls'],
      ['MAX_TOKENS', false, 'length'],
      ['MAX_TOKENS', true, 'length'],
      ...['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION'].map(
        (reason): [string, boolean, string] => [reason, false, 'content_filter'],
      ),
      ['MALFORMED_FUNCTION_CALL', false, 'stop'],
      ['UNEXPECTED_TOOL_CALL', false, 'stop'],
      ['TOO_MANY_TOOL_CALLS', false, 'stop'],
      ['TOO_MANY_TOOL_CALLS', true, 'tool_calls'],
      ['LANGUAGE', false, 'stop'],
      ['OTHER', false, 'stop'],
      ['NO_IMAGE', false, 'stop'],
      ['IMAGE_OTHER', false, 'stop'],
      ['FINISH_REASON_UNSPECIFIED', false, 'stop'],
      ['SOMETHING_NEW', false, 'stop'],
      [undefined, false, 'stop'],
    ];
    for (const [reason, hasToolCalls, expected] of table) assert.equal(mapGeminiFinishReason(reason, hasToolCalls), expected, `${reason} ${hasToolCalls}`);
  });
});
