import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { convertRequestToAnthropic } from '../../../src/providers/anthropic/convert-request.js';
import { defaultAnthropicMaxTokens } from '../../../src/providers/anthropic/default-anthropic-max-tokens.js';
import { nestedObjectsText } from '../../support/deep-json.js';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '../../../src/providers/openai/openai-api.js';
import type { AttemptTarget } from '../../../src/providers/provider-adapter.js';

const target: AttemptTarget = { model: 'claude-sonnet-4-5', pathPrefix: '/v1', credential: 'sk-ant-test' };

/** Requests go through the gateway's own inbound schema first, as in production. */
function convert(request: Record<string, unknown>, attempt: AttemptTarget = target): Record<string, unknown> {
  return convertRequestToAnthropic(chatCompletionRequestSchema.parse({ model: 'claude', ...request }) as ChatCompletionRequest, attempt);
}

const hello = [{ role: 'user', content: 'Hello' }];

function assertRefused(request: Record<string, unknown>, param: string, code = 'unsupported_parameter'): void {
  assert.throws(
    () => convert(request),
    (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.status, 400);
      assert.equal(error.param, param);
      assert.equal(error.code, code);
      assert.equal(error.type, 'invalid_request_error');
      return true;
    },
  );
}

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const clockTool = { type: 'function', function: { name: 'current_time' } };

describe('convertRequestToAnthropic', () => {
  test('system and developer messages, wherever they stand, become top-level system blocks; same-role turns merge', () => {
    const body = convert({
      max_tokens: 50,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hello' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }, { type: 'text', text: 'No emoji.' }] },
        { role: 'user', content: [{ type: 'text', text: 'there' }] },
        { role: 'assistant', content: 'Bonjour.' },
        { role: 'assistant', content: [{ type: 'text', text: 'Encore?' }] },
        { role: 'system', content: '' },
        { role: 'user', content: 'Oui' },
      ],
    });
    assert.deepEqual(body, {
      model: 'claude-sonnet-4-5',
      max_tokens: 50,
      system: [
        { type: 'text', text: 'You are terse.' },
        { type: 'text', text: 'Answer in French.' },
        { type: 'text', text: 'No emoji.' },
      ],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Hello' }, { type: 'text', text: 'there' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Bonjour.' }, { type: 'text', text: 'Encore?' }] },
        { role: 'user', content: [{ type: 'text', text: 'Oui' }] },
      ],
    });
  });

  test('the model is the target model; without a system message there is no system field', () => {
    const body = convert({ messages: hello }, { model: 'claude-haiku-4-5-20251001', pathPrefix: '/v1', credential: undefined });
    assert.deepEqual(body, { model: 'claude-haiku-4-5-20251001', max_tokens: 64000, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }] });
  });

  test('a tool round trip: assistant tool_calls become tool_use, two tool messages become one user message of tool_results', () => {
    const body = convert({
      tools: [weatherTool, clockTool],
      messages: [
        { role: 'user', content: 'Weather in Paris and Tokyo, and the time?' },
        {
          role: 'assistant',
          content: 'Looking both up.',
          tool_calls: [
            { id: 'toolu_01Paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'toolu_01Tokyo', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Tokyo"}' } },
            { id: 'toolu_01Clock', type: 'function', function: { name: 'current_time', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01Paris', content: '{"temperature": 22}' },
        { role: 'tool', tool_call_id: 'toolu_01Tokyo', content: [{ type: 'text', text: '18 degrees' }] },
        { role: 'user', content: 'Also, in Fahrenheit please.' },
        { role: 'tool', tool_call_id: 'toolu_01Clock', content: '12:00' },
      ],
    });
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Tokyo, and the time?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Looking both up.' },
          { type: 'tool_use', id: 'toolu_01Paris', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_01Tokyo', name: 'get_weather', input: { city: 'Tokyo' } },
          { type: 'tool_use', id: 'toolu_01Clock', name: 'current_time', input: {} },
        ],
      },
      {
        role: 'user',
        // Every tool result leads the merged user message, even one the client sent after its text.
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_01Paris', content: '{"temperature": 22}' },
          { type: 'tool_result', tool_use_id: 'toolu_01Tokyo', content: [{ type: 'text', text: '18 degrees' }] },
          { type: 'tool_result', tool_use_id: 'toolu_01Clock', content: '12:00' },
          { type: 'text', text: 'Also, in Fahrenheit please.' },
        ],
      },
    ]);
    assert.deepEqual(body.tools, [
      { name: 'get_weather', description: 'Current weather in a city', input_schema: weatherTool.function.parameters },
      { name: 'current_time', input_schema: { type: 'object', properties: {} } },
    ]);
    assert.equal('tool_choice' in body, false);
  });

  test('an assistant message with only tool calls (content null) has only tool_use blocks', () => {
    const body = convert({
      messages: [
        ...hello,
        { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'current_time', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'toolu_1', content: '12:00' },
      ],
    });
    assert.deepEqual((body.messages as unknown[])[1], { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'current_time', input: {} }] });
  });

  test('tool call arguments that are not a JSON object are a 400 naming them', () => {
    for (const argumentsText of ['{"city": "Par', '[1,2]', '"Paris"']) {
      assertRefused(
        {
          messages: [
            ...hello,
            {
              role: 'assistant',
              content: null,
              tool_calls: [
                { id: 'toolu_1', type: 'function', function: { name: 'current_time', arguments: '{}' } },
                { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: argumentsText } },
              ],
            },
          ],
        },
        'messages[1].tool_calls[1].function.arguments',
        'invalid_value',
      );
    }
  });

  test('images: base64 data URLs inline, PDFs as documents, http(s) URLs by reference', () => {
    const body = convert({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these.' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } },
            { type: 'image_url', image_url: { url: 'data:image/webp;base64,UklGRg==' } },
            { type: 'image_url', image_url: { url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg' } },
            { type: 'image_url', image_url: { url: 'data:application/pdf;base64,JVBERi0xLjQ=' } },
            { type: 'file', file: { filename: 'terms.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjc=' } },
          ],
        },
      ],
    });
    assert.deepEqual(body.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare these.' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'base64', media_type: 'image/webp', data: 'UklGRg==' } },
          { type: 'image', source: { type: 'url', url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg' } },
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQ=' } },
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjc=' } },
        ],
      },
    ]);
  });

  test('images Anthropic cannot take, audio and file ids are a 400 naming the part', () => {
    const part = (content: unknown) => ({ messages: [{ role: 'user', content: [{ type: 'text', text: 'Look' }, content] }] });
    assertRefused(part({ type: 'image_url', image_url: { url: 'data:image/bmp;base64,Qk0=' } }), 'messages[0].content[1]');
    assertRefused(part({ type: 'image_url', image_url: { url: 'ftp://example.com/cat.png' } }), 'messages[0].content[1]');
    assertRefused(part({ type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } }), 'messages[0].content[1]');
    assertRefused(part({ type: 'file', file: { file_id: 'file-abc123' } }), 'messages[0].content[1]');
    assertRefused(part({ type: 'file', file: { file_data: 'data:text/csv;base64,YSxi' } }), 'messages[0].content[1]');
  });

  test('sampling and limits: max_completion_tokens wins over max_tokens, stop becomes stop_sequences, user becomes metadata.user_id', () => {
    const body = convert({
      messages: hello,
      max_tokens: 100,
      max_completion_tokens: 200,
      temperature: 0.2,
      top_p: 0.9,
      stop: 'END',
      user: 'user-42',
      stream: true,
      stream_options: { include_usage: true },
      n: 1,
      presence_penalty: 0,
      store: false,
      service_tier: 'auto',
      parallel_tool_calls: true,
    });
    assert.deepEqual(body, {
      model: 'claude-sonnet-4-5',
      max_tokens: 200,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ['END'],
      metadata: { user_id: 'user-42' },
      service_tier: 'auto',
      stream: true,
    });
    assert.deepEqual(convert({ messages: hello, max_tokens: 100, stop: ['a', 'b'], temperature: 1 }).stop_sequences, ['a', 'b']);
    assert.equal(convert({ messages: hello, max_tokens: 100, temperature: 1 }).temperature, 1);
    assert.deepEqual(convert({ messages: hello, safety_identifier: 'hashed-user' }).metadata, { user_id: 'hashed-user' });
  });

  test('without max_tokens the model’s maximum output is the default', () => {
    assert.equal(convert({ messages: hello }, { ...target, model: 'claude-3-haiku-20240307' }).max_tokens, 4096);
    assert.equal(convert({ messages: hello }, { ...target, model: 'claude-opus-4-1' }).max_tokens, 32000);
    assert.equal(convert({ messages: hello, max_tokens: 7 }, { ...target, model: 'claude-opus-4-1' }).max_tokens, 7);
  });

  test('tool_choice: auto, required, none and a named function', () => {
    const choice = (toolChoice: unknown, extra: Record<string, unknown> = {}) => convert({ messages: hello, tools: [weatherTool], tool_choice: toolChoice, ...extra }).tool_choice;
    assert.deepEqual(choice('auto'), { type: 'auto' });
    assert.deepEqual(choice('required'), { type: 'any' });
    assert.deepEqual(choice('none'), { type: 'none' });
    assert.deepEqual(choice({ type: 'function', function: { name: 'get_weather' } }), { type: 'tool', name: 'get_weather' });
    assert.equal(convert({ messages: hello, tool_choice: 'required' }).tool_choice, undefined, 'no tools, no tool_choice');
    assertRefused({ messages: hello, tools: [weatherTool], tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } } }, 'tool_choice');
  });

  test('parallel_tool_calls false becomes disable_parallel_tool_use on the tool_choice (auto when none was given)', () => {
    const choice = (extra: Record<string, unknown>) => convert({ messages: hello, tools: [weatherTool], parallel_tool_calls: false, ...extra }).tool_choice;
    assert.deepEqual(choice({}), { type: 'auto', disable_parallel_tool_use: true });
    assert.deepEqual(choice({ tool_choice: 'required' }), { type: 'any', disable_parallel_tool_use: true });
    assert.deepEqual(choice({ tool_choice: { type: 'function', function: { name: 'get_weather' } } }), { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true });
    assert.deepEqual(choice({ tool_choice: 'none' }), { type: 'none' }, '"none" takes no disable_parallel_tool_use');
  });

  test('strict tools keep strict; custom tools are refused', () => {
    // Strict schemas close every object, as OpenAI requires of them.
    const strictParameters = { ...weatherTool.function.parameters, additionalProperties: false };
    const strictTool = { type: 'function', function: { ...weatherTool.function, parameters: strictParameters, strict: true } };
    assert.deepEqual(convert({ messages: hello, tools: [strictTool] }).tools, [
      { name: 'get_weather', description: 'Current weather in a city', input_schema: strictParameters, strict: true },
    ]);
    assertRefused({ messages: hello, tools: [weatherTool, { type: 'custom', custom: { name: 'grammar' } }] }, 'tools[1]');
  });

  test('response_format json_schema becomes output_config.format; json_object is refused; text is nothing', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const body = convert({ messages: hello, response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } } });
    assert.deepEqual(body.output_config, { format: { type: 'json_schema', schema } });
    assert.equal('output_config' in convert({ messages: hello, response_format: { type: 'text' } }), false);
    assertRefused({ messages: hello, response_format: { type: 'json_object' } }, 'response_format');
    assertRefused({ messages: hello, response_format: { type: 'json_schema', json_schema: { name: 'answer' } } }, 'response_format.json_schema.schema', 'invalid_value');
  });

  test('n > 1 is refused, naming n', () => {
    assertRefused({ messages: hello, n: 2 }, 'n');
  });

  test('temperature above 1 is refused, not clamped', () => {
    assertRefused({ messages: hello, temperature: 1.5 }, 'temperature', 'invalid_value');
  });

  test('parameters Anthropic has no equivalent for are refused when set to a non-default value', () => {
    assertRefused({ messages: hello, logprobs: true }, 'logprobs');
    assertRefused({ messages: hello, logprobs: true, top_logprobs: 3 }, 'logprobs');
    assertRefused({ messages: hello, logit_bias: { '50256': -100 } }, 'logit_bias');
    assertRefused({ messages: hello, presence_penalty: 0.5 }, 'presence_penalty');
    assertRefused({ messages: hello, frequency_penalty: -1 }, 'frequency_penalty');
    assertRefused({ messages: hello, seed: 7 }, 'seed');
    assertRefused({ messages: hello, audio: { voice: 'alloy', format: 'wav' } }, 'audio');
    // Audio output needs `audio` (the inbound schema requires it), which is refused first.
    assertRefused({ messages: hello, modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'wav' } }, 'audio');
    assertRefused({ messages: hello, prediction: { type: 'content', content: 'x' } }, 'prediction');
    assertRefused({ messages: hello, functions: [{ name: 'f' }] }, 'functions');
    assertRefused({ messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages[0].role');
    // Defaults pass.
    assert.doesNotThrow(() => convert({ messages: hello, logprobs: false, top_logprobs: 0, logit_bias: {}, frequency_penalty: 0, modalities: ['text'], seed: null }));
  });
});

describe('defaultAnthropicMaxTokens', () => {
  test('each model’s documented maximum output, for Anthropic, Bedrock and Vertex names', () => {
    const cases: [string, number][] = [
      ['claude-3-haiku-20240307', 4096],
      ['claude-3-opus-20240229', 4096],
      ['claude-3-5-haiku-20241022', 8192],
      ['anthropic.claude-3-5-sonnet-20240620-v1:0', 8192],
      ['claude-3-5-sonnet-v2@20241022', 8192],
      ['claude-3-7-sonnet-20250219', 64000],
      ['claude-opus-4-20250514', 32000],
      ['claude-opus-4-0', 32000],
      ['claude-opus-4-1-20250805', 32000],
      ['claude-opus-4-1@20250805', 32000],
      ['claude-sonnet-4-20250514', 64000],
      ['claude-sonnet-4-5-20250929', 64000],
      ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 64000],
      ['claude-haiku-4-5', 64000],
      ['claude-opus-4-5-20251101', 64000],
      ['claude-opus-4-6', 128000],
      ['claude-sonnet-4-6', 128000],
      ['claude-opus-5', 64000],
      ['my-company-assistant', 4096],
    ];
    for (const [model, expected] of cases) assert.equal(defaultAnthropicMaxTokens(model), expected, model);
  });
});

describe('convertRequestToAnthropic bounds the JSON it parses from strings', () => {
  const withArguments = (argumentsText: string): Record<string, unknown> => ({
    messages: [
      ...hello,
      { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'f', arguments: argumentsText } }] },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'done' },
    ],
  });

  test('tool-call arguments nested 128 levels are translated, and the body serialises', () => {
    const body = convert(withArguments(nestedObjectsText(128)));
    const text = JSON.stringify(body);
    assert.ok(text.includes(nestedObjectsText(128)));
  });

  test('tool-call arguments nested deeper are a 400 naming them, however deep', () => {
    for (const depth of [129, 5000]) {
      assertRefused(withArguments(nestedObjectsText(depth)), 'messages[1].tool_calls[0].function.arguments', 'json_nesting_too_deep');
    }
  });
});
