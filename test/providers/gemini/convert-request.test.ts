import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { convertRequestToGemini, SKIP_THOUGHT_SIGNATURE } from '../../../src/providers/gemini/convert-request.js';
import { nestedObjectsText } from '../../support/deep-json.js';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '../../../src/providers/openai/openai-api.js';

/** Requests go through the gateway's own inbound schema first, as in production. */
function convert(request: Record<string, unknown>, model = 'gemini-2.5-flash'): Record<string, unknown> {
  return convertRequestToGemini(chatCompletionRequestSchema.parse({ model: 'gemini', ...request }) as ChatCompletionRequest, { model });
}

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
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  },
};

describe('convertRequestToGemini', () => {
  test('a plain conversation: system and developer into systemInstruction, roles renamed, same-role turns merged', () => {
    const body = convert({
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hello' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }, { type: 'text', text: 'No emoji.' }] },
        { role: 'user', content: 'there' },
        { role: 'assistant', content: 'Bonjour.' },
        { role: 'assistant', content: [{ type: 'text', text: 'Encore?' }] },
        { role: 'user', content: [{ type: 'text', text: 'Oui' }] },
      ],
    });
    assert.deepEqual(body, {
      contents: [
        { role: 'user', parts: [{ text: 'Hello' }, { text: 'there' }] },
        { role: 'model', parts: [{ text: 'Bonjour.' }, { text: 'Encore?' }] },
        { role: 'user', parts: [{ text: 'Oui' }] },
      ],
      systemInstruction: { parts: [{ text: 'You are terse.' }, { text: 'Answer in French.' }, { text: 'No emoji.' }] },
    });
    assert.equal('model' in body, false, 'the model goes in the path');
  });

  test('images: a data URL goes inline, an http(s) URL by reference with a MIME type from its extension', () => {
    const body = convert({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } },
            { type: 'image_url', image_url: { url: 'https://example.com/photos/cat.webp?size=large' } },
            { type: 'image_url', image_url: { url: 'https://example.com/render' } },
          ],
        },
      ],
    });
    assert.deepEqual(body.contents, [
      {
        role: 'user',
        parts: [
          { text: 'What is in these?' },
          { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
          { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/photos/cat.webp?size=large' } },
          { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/render' } },
        ],
      },
    ]);
  });

  test('audio and inline files become inlineData', () => {
    const body = convert({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
            { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
          ],
        },
      ],
    });
    assert.deepEqual(body.contents, [
      { role: 'user', parts: [{ inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } }, { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } }] },
    ]);
  });

  test('a tool round trip: calls replayed with the signature sentinel, results named from the history and merged', () => {
    const body = convert({
      messages: [
        { role: 'user', content: 'Weather in Paris and London?' },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            { id: 'call_a_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_a_1', type: 'function', function: { name: 'get_time', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a_0', content: '{"temperature": 22}' },
        { role: 'tool', tool_call_id: 'call_a_1', content: [{ type: 'text', text: '12:00' }] },
        { role: 'user', content: 'Thanks' },
      ],
      tools: [weatherTool, { type: 'function', function: { name: 'get_time' } }],
      tool_choice: 'auto',
    });
    assert.deepEqual(body, {
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Paris and London?' }] },
        {
          role: 'model',
          parts: [
            { text: 'Checking.' },
            { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: SKIP_THOUGHT_SIGNATURE },
            { functionCall: { name: 'get_time', args: {} }, thoughtSignature: SKIP_THOUGHT_SIGNATURE },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'get_weather', response: { result: { temperature: 22 } } } },
            { functionResponse: { name: 'get_time', response: { result: { content: '12:00' } } } },
            { text: 'Thanks' },
          ],
        },
      ],
      tools: [
        {
          functionDeclarations: [
            { name: 'get_weather', description: 'Current weather in a city', parametersJsonSchema: weatherTool.function.parameters },
            { name: 'get_time' },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
    });
    assert.equal(SKIP_THOUGHT_SIGNATURE, 'skip_thought_signature_validator');
  });

  test('tool_choice: none, required and a named function', () => {
    const toolConfig = (toolChoice: unknown) => convert({ messages: [{ role: 'user', content: 'x' }], tools: [weatherTool], tool_choice: toolChoice }).toolConfig;
    assert.deepEqual(toolConfig('none'), { functionCallingConfig: { mode: 'NONE' } });
    assert.deepEqual(toolConfig('required'), { functionCallingConfig: { mode: 'ANY' } });
    assert.deepEqual(toolConfig({ type: 'function', function: { name: 'get_weather' } }), { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
    assert.equal(toolConfig(undefined), undefined);
    // Gemini refuses a calling config without declarations; OpenAI allows tool_choice alone.
    assert.equal(convert({ messages: [{ role: 'user', content: 'x' }], tool_choice: 'none' }).toolConfig, undefined);
  });

  test('sampling and output parameters become generationConfig', () => {
    const body = convert({
      messages: [{ role: 'user', content: 'x' }],
      temperature: 1.7,
      top_p: 0.9,
      max_tokens: 100,
      max_completion_tokens: 200,
      stop: 'END',
      n: 2,
      seed: 42,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      logprobs: true,
      top_logprobs: 3,
      parallel_tool_calls: true,
      response_format: { type: 'json_object' },
    });
    assert.deepEqual(body.generationConfig, {
      temperature: 1.7,
      topP: 0.9,
      maxOutputTokens: 200,
      stopSequences: ['END'],
      candidateCount: 2,
      seed: 42,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      responseLogprobs: true,
      logprobs: 3,
      responseMimeType: 'application/json',
    });
    assert.deepEqual(convert({ messages: [{ role: 'user', content: 'x' }], max_tokens: 50, stop: ['a', 'b'] }).generationConfig, { maxOutputTokens: 50, stopSequences: ['a', 'b'] });
    assert.equal(convert({ messages: [{ role: 'user', content: 'x' }], temperature: null }).generationConfig, undefined);
  });

  test('a JSON schema response format becomes responseMimeType and responseJsonSchema', () => {
    const schema = { type: 'object', properties: { answer: { type: 'integer' } }, required: ['answer'], additionalProperties: false };
    const body = convert({ messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_schema', json_schema: { name: 'answer', strict: true, schema } } });
    assert.deepEqual(body.generationConfig, { responseMimeType: 'application/json', responseJsonSchema: schema });
    assert.equal(convert({ messages: [{ role: 'user', content: 'x' }], response_format: { type: 'text' } }).generationConfig, undefined);
  });

  test('what Gemini cannot honour is a 400 naming the parameter', () => {
    const user = [{ role: 'user', content: 'x' }];
    assertRefused({ messages: user, logit_bias: { '50256': -100 } }, 'logit_bias');
    assertRefused({ messages: user, tools: [weatherTool], parallel_tool_calls: false }, 'parallel_tool_calls');
    assertRefused({ messages: user, tools: [{ type: 'custom', custom: { name: 'grammar' } }] }, 'tools[0]');
    assertRefused({ messages: user, tools: [weatherTool], tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } } }, 'tool_choice');
    // top_logprobs without logprobs is refused by the inbound schema already (parse-chat-request tests).
    assertRefused({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://example.com/a.png' } }] }] }, 'messages[0].content[0].image_url.url', 'invalid_value');
    assertRefused({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png,rawbytes' } }] }] }, 'messages[0].content[0].image_url.url', 'invalid_value');
    assertRefused({ messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-abc' } }] }] }, 'messages[0].content[0].file');
    assertRefused({ messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages[0].role');
    // Without tools, parallel_tool_calls has no effect and is not refused.
    assert.deepEqual(convert({ messages: user, parallel_tool_calls: false }), { contents: [{ role: 'user', parts: [{ text: 'x' }] }] });
    assert.deepEqual(convert({ messages: user, logit_bias: {} }), { contents: [{ role: 'user', parts: [{ text: 'x' }] }] });
  });

  test('broken tool history is a 400 naming the exact message', () => {
    assertRefused(
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":' } }] },
        ],
      },
      'messages[1].tool_calls[0].function.arguments',
      'invalid_value',
    );
    assertRefused(
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '[1]' } }] },
        ],
      },
      'messages[1].tool_calls[0].function.arguments',
      'invalid_value',
    );
    assertRefused(
      {
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'call_2', content: 'done' },
        ],
      },
      'messages[2].tool_call_id',
      'invalid_value',
    );
  });

  test('empty text is left out (Gemini refuses empty text parts) and an assistant turn with nothing to say is skipped', () => {
    const body = convert({
      messages: [
        { role: 'system', content: '' },
        { role: 'user', content: 'a' },
        { role: 'assistant', content: '' },
        { role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'b' }] },
      ],
    });
    assert.deepEqual(body, { contents: [{ role: 'user', parts: [{ text: 'a' }, { text: 'b' }] }] });
  });

  test('a tool result that is not a JSON object is passed as text', () => {
    const body = convert({
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c', content: '[1,2]' },
      ],
    });
    assert.deepEqual((body.contents as unknown[])[2], { role: 'user', parts: [{ functionResponse: { name: 'f', response: { result: { content: '[1,2]' } } } }] });
  });
});

describe('convertRequestToGemini bounds the JSON it parses from strings', () => {
  const history = (argumentsText: string, toolOutput = '{}'): Record<string, unknown> => ({
    messages: [
      { role: 'user', content: 'x' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: argumentsText } }] },
      { role: 'tool', tool_call_id: 'c', content: toolOutput },
    ],
  });

  test('tool-call arguments nested 128 levels are translated, and the body serialises', () => {
    const text = JSON.stringify(convert(history(nestedObjectsText(128))));
    assert.ok(text.includes(nestedObjectsText(128)));
  });

  test('tool-call arguments nested deeper are a 400 naming them, however deep', () => {
    for (const depth of [129, 5000]) assertRefused(history(nestedObjectsText(depth)), 'messages[1].tool_calls[0].function.arguments', 'json_nesting_too_deep');
  });

  test('a tool result nested too deep to parse safely is passed as text', () => {
    const deep = nestedObjectsText(5000);
    const body = convert(history('{}', deep));
    assert.deepEqual((body.contents as unknown[])[2], { role: 'user', parts: [{ functionResponse: { name: 'f', response: { result: { content: deep } } } }] });
    assert.ok(JSON.stringify(body).length > deep.length);
    const shallow = convert(history('{}', nestedObjectsText(128)));
    assert.deepEqual((shallow.contents as unknown[])[2], { role: 'user', parts: [{ functionResponse: { name: 'f', response: { result: JSON.parse(nestedObjectsText(128)) } } }] });
  });
});
