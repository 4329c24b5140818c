import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/errors.js';
import { parseChatRequest, toParam } from '../../src/gateway/parse-chat-request.js';
import { nestedArrays, schemaOfDepth } from '../support/deep-json.js';

function refusal(body: unknown): GatewayError {
  try {
    parseChatRequest(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
  } catch (error) {
    assert.ok(error instanceof GatewayError);
    return error;
  }
  assert.fail('expected a refusal');
}

const user = [{ role: 'user', content: 'hi' }];

const accepts = (body: Record<string, unknown>): Record<string, unknown> => parseChatRequest(Buffer.from(JSON.stringify(body))) as Record<string, unknown>;
const base = { model: 'gpt', messages: user };
const tool = (parameters: unknown, extra: Record<string, unknown> = {}) => ({ type: 'function', function: { name: 'f', parameters, ...extra } });
const schemaFormat = (schema: unknown, extra: Record<string, unknown> = {}) => ({ type: 'json_schema', json_schema: { name: 'answer', schema, ...extra } });
const closed = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };

describe('parseChatRequest accepts what OpenAI accepts', () => {
  test('a full request, every documented field set, unknown new parameters included', () => {
    const request = accepts({
      model: 'gpt',
      messages: [
        { role: 'developer', content: 'be brief' },
        { role: 'system', content: [{ type: 'text', text: 'terse' }], name: 'rules' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look', prompt_cache_breakpoint: { mode: 'explicit' } },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
            { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
            { type: 'file', file: { file_id: 'file-1' } },
          ],
        },
        { role: 'assistant', content: null, refusal: null, audio: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '42' },
        { role: 'assistant', content: [{ type: 'refusal', refusal: 'no' }], reasoning_content: 'a field OpenAI-compatible servers add' },
        { role: 'function', name: 'f', content: null },
        { role: 'user', content: 'go on' },
      ],
      tools: [tool({ type: 'object' }), tool(closed, { strict: true }), { type: 'custom', custom: { name: 'sql', format: { type: 'grammar', grammar: { definition: 'start: "x"', syntax: 'lark' } } } }],
      tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'f' } }] } },
      parallel_tool_calls: true,
      response_format: schemaFormat(closed, { strict: true }),
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
      top_p: 1,
      n: 128,
      max_tokens: 1,
      max_completion_tokens: 100,
      stop: ['a', 'b', 'c', 'd'],
      presence_penalty: -2,
      frequency_penalty: 2,
      logit_bias: { '50256': -100, '1': 100 },
      logprobs: true,
      top_logprobs: 20,
      seed: 2 ** 53 + 2,
      user: 'u',
      safety_identifier: 'x'.repeat(64),
      prompt_cache_key: 'k',
      prompt_cache_retention: '24h',
      prompt_cache_options: { ttl: '30m', mode: 'explicit' },
      reasoning_effort: 'xhigh',
      verbosity: 'low',
      service_tier: 'flex',
      store: true,
      metadata: Object.fromEntries(Array.from({ length: 16 }, (_, index) => [`k${index}`.padEnd(64, 'k'), 'v'.repeat(512)])),
      modalities: ['text', 'audio'],
      audio: { voice: { id: 'voice_1' }, format: 'pcm16' },
      prediction: { type: 'content', content: [{ type: 'text', text: 'draft' }] },
      web_search_options: { user_location: { type: 'approximate', approximate: { country: 'FR', city: 'Paris' } }, search_context_size: 'high' },
      moderation: { model: 'omni-moderation-latest', policy: { input: { mode: 'block' }, output: null } },
      a_parameter_openai_adds_later: { any: ['shape'] },
    });
    assert.equal(request.model, 'gpt');
    assert.deepEqual(request.a_parameter_openai_adds_later, { any: ['shape'] }, 'unknown top-level fields pass through');
  });

  test('nullable fields take null; a 64-bit seed and emoji counted as characters pass', () => {
    const nulls = ['stream', 'stream_options', 'temperature', 'top_p', 'n', 'max_tokens', 'max_completion_tokens', 'stop', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'logprobs', 'top_logprobs', 'seed', 'safety_identifier', 'prompt_cache_key', 'prompt_cache_retention', 'reasoning_effort', 'verbosity', 'service_tier', 'store', 'metadata', 'modalities', 'audio', 'prediction', 'moderation'];
    accepts({ ...base, ...Object.fromEntries(nulls.map((name) => [name, null])) });
    accepts({ ...base, seed: -(2 ** 63), safety_identifier: '\u{1F600}'.repeat(64), metadata: { k: '\u{1F600}'.repeat(512) } });
  });

  test('tool parameters OpenAI takes: none, {}, no type, draft-07 tuples, top_logprobs 0 without logprobs', () => {
    accepts({ ...base, tools: [{ type: 'function', function: { name: 'f' } }, tool({}), tool({ properties: { a: { type: 'string' } } })], top_logprobs: 0 });
    accepts({ ...base, tools: [tool({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { pair: { type: 'array', items: [{ type: 'string' }, { type: 'number' }] } } })] });
    accepts({ ...base, tools: [tool({ type: 'object', properties: { a: { type: 'array', prefixItems: [{ type: 'string' }] } }, $defs: { b: { type: 'array', items: { $ref: '#/$defs/b' } } } })] });
  });
});

type Case = [name: string, body: unknown, param: string | null, code: string, message?: string];

function refusalTable(title: string, cases: Case[]): void {
  describe(title, () => {
    for (const [name, body, param, code, message] of cases) {
      test(`${name}: 400 ${code} ${param ?? ''}`, () => {
        const error = refusal(body);
        assert.equal(error.status, 400);
        assert.equal(error.type, 'invalid_request_error');
        assert.equal(error.code, code);
        assert.equal(error.param, param);
        if (message !== undefined) assert.equal(error.message, message);
      });
    }
  });
}

refusalTable('parseChatRequest refuses the body', [
  ['an empty body', '', null, 'missing_body'],
  ['not JSON', '{"model"', null, 'invalid_json'],
  ['a JSON array', [], null, 'invalid_json'],
  ['no model', { messages: user }, 'model', 'missing_required_parameter', "Missing required parameter: 'model'."],
  ['a numeric model', { model: 4, messages: user }, 'model', 'invalid_type', "Invalid type for 'model': expected a string, but got an integer instead."],
  ['an empty model', { model: '', messages: user }, 'model', 'empty_string'],
  ['no messages', { model: 'gpt' }, 'messages', 'missing_required_parameter'],
  ['messages as a string', { model: 'gpt', messages: 'hi' }, 'messages', 'invalid_type', "Invalid type for 'messages': expected an array, but got a string instead."],
  ['empty messages', { model: 'gpt', messages: [] }, 'messages', 'empty_array', "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead."],
]);

refusalTable('parseChatRequest refuses messages', [
  ['an unknown role', { ...base, messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role', 'invalid_value', "Invalid value: 'robot'. Supported values are: 'system', 'developer', 'user', 'assistant', 'tool', and 'function'."],
  ['no role', { ...base, messages: [{ content: 'x' }] }, 'messages[0].role', 'missing_required_parameter'],
  ['a message that is not an object', { ...base, messages: ['hi'] }, 'messages[0]', 'invalid_type'],
  ['content as an object', { ...base, messages: [{ role: 'user', content: { text: 'x' } }] }, 'messages[0].content', 'invalid_type', "Invalid type for 'messages[0].content': expected one of a string or array of objects, but got an object instead."],
  ['content as an empty array', { ...base, messages: [{ role: 'user', content: [] }] }, 'messages[0].content', 'empty_array'],
  ['no content', { ...base, messages: [{ role: 'user' }] }, 'messages[0].content', 'missing_required_parameter'],
  ['content over 10,485,760 characters', { ...base, messages: [{ role: 'user', content: 'x'.repeat(10_485_761) }] }, 'messages[0].content', 'string_above_max_length', "Invalid 'messages[0].content': string too long. Expected a string with maximum length 10485760, but got a string with length 10485761 instead."],
  ['a part of an unknown type', { ...base, messages: [{ role: 'user', content: [{ type: 'video', video: {} }] }] }, 'messages[0].content[0].type', 'invalid_value'],
  ['an image part without url', { ...base, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] }, 'messages[0].content[0].image_url.url', 'missing_required_parameter'],
  ['an image url that is not a URL', { ...base, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'cat.png' } }] }] }, 'messages[0].content[0].image_url.url', 'invalid_value', "Invalid 'messages[0].content[0].image_url.url'. Expected a valid URL, but got a value with an invalid format."],
  ['an unknown image detail', { ...base, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/a.png', detail: 'max' } }] }] }, 'messages[0].content[0].image_url.detail', 'invalid_value'],
  ['an audio format OpenAI does not take', { ...base, messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AA', format: 'ogg' } }] }] }, 'messages[0].content[0].input_audio.format', 'invalid_value'],
  ['an image in a system message', { ...base, messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x/a.png' } }] }] }, 'messages[0].content[0].type', 'invalid_value', "Invalid value: 'image_url'. Supported values are: 'text'."],
  ['a numeric name', { ...base, messages: [{ role: 'user', content: 'x', name: 7 }] }, 'messages[0].name', 'invalid_type'],
  ['a tool message without tool_call_id', { ...base, messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id', 'missing_required_parameter'],
  ['tool call arguments as an object', { ...base, messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: {} } }] }] }, 'messages[0].tool_calls[0].function.arguments', 'invalid_type', "Invalid type for 'messages[0].tool_calls[0].function.arguments': expected a string, but got an object instead."],
  ['a tool call of another type', { ...base, messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'retrieval', function: { name: 'f', arguments: '' } }] }] }, 'messages[0].tool_calls[0].type', 'invalid_value'],
  ['a numeric refusal', { ...base, messages: [{ role: 'assistant', content: null, refusal: 1 }] }, 'messages[0].refusal', 'invalid_type'],
]);

refusalTable('parseChatRequest refuses sampling and limits out of range', [
  ['temperature above 2', { ...base, temperature: 2.5 }, 'temperature', 'decimal_above_max_value', "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 2.5 instead."],
  ['temperature as a string', { ...base, temperature: '1' }, 'temperature', 'invalid_type', "Invalid type for 'temperature': expected a decimal, but got a string instead."],
  ['top_p below 0', { ...base, top_p: -0.1 }, 'top_p', 'decimal_below_min_value', "Invalid 'top_p': decimal below minimum value. Expected a value >= 0, but got -0.1 instead."],
  ['presence_penalty above 2', { ...base, presence_penalty: 3 }, 'presence_penalty', 'decimal_above_max_value'],
  ['frequency_penalty below -2', { ...base, frequency_penalty: -2.5 }, 'frequency_penalty', 'decimal_below_min_value'],
  ['n as a string', { ...base, n: '2' }, 'n', 'invalid_type', "Invalid type for 'n': expected an integer, but got a string instead."],
  ['n as a decimal', { ...base, n: 1.5 }, 'n', 'invalid_type', "Invalid type for 'n': expected an integer, but got a decimal instead."],
  ['n above 128', { ...base, n: 129 }, 'n', 'integer_above_max_value', "Invalid 'n': integer above maximum value. Expected a value <= 128, but got 129 instead."],
  ['n of 0', { ...base, n: 0 }, 'n', 'integer_below_min_value'],
  ['max_tokens of 0', { ...base, max_tokens: 0 }, 'max_tokens', 'integer_below_min_value', "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead."],
  ['max_completion_tokens as a decimal', { ...base, max_completion_tokens: 10.5 }, 'max_completion_tokens', 'invalid_type'],
  ['top_logprobs above 20', { ...base, logprobs: true, top_logprobs: 21 }, 'top_logprobs', 'integer_above_max_value'],
  ['top_logprobs without logprobs', { ...base, top_logprobs: 2 }, 'top_logprobs', 'invalid_value', "The 'top_logprobs' parameter is only allowed when 'logprobs' is enabled."],
  ['seed as a decimal', { ...base, seed: 1.5 }, 'seed', 'invalid_type'],
  ['logprobs as a string', { ...base, logprobs: 'yes' }, 'logprobs', 'invalid_type', "Invalid type for 'logprobs': expected a boolean, but got a string instead."],
  ['five stop sequences', { ...base, stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', 'array_above_max_length', "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length 5 instead."],
  ['no stop sequences', { ...base, stop: [] }, 'stop', 'empty_array'],
  ['stop as a number', { ...base, stop: 5 }, 'stop', 'invalid_type', "Invalid type for 'stop': expected one of a string or array of strings, but got an integer instead."],
  ['a numeric stop sequence', { ...base, stop: ['a', 1] }, 'stop[1]', 'invalid_type'],
  ['a logit_bias above 100', { ...base, logit_bias: { '50256': 101 } }, 'logit_bias.50256', 'integer_above_max_value'],
  ['a logit_bias key that is no token id', { ...base, logit_bias: { hello: 1 } }, 'logit_bias', 'invalid_value'],
  ['a decimal logit_bias', { ...base, logit_bias: { '1': 0.5 } }, 'logit_bias.1', 'invalid_type'],
  ['stream as a string', { ...base, stream: 'true' }, 'stream', 'invalid_type'],
  ['stream_options without stream', { ...base, stream_options: { include_usage: true } }, 'stream_options', 'invalid_value', "The 'stream_options' parameter is only allowed when 'stream' is enabled."],
  ['stream_options.include_usage as a string', { ...base, stream: true, stream_options: { include_usage: 'yes' } }, 'stream_options.include_usage', 'invalid_type'],
]);

refusalTable('parseChatRequest refuses tools, tool_choice and functions', [
  ['tools as an object', { ...base, tools: {} }, 'tools', 'invalid_type'],
  ['129 tools', { ...base, tools: Array.from({ length: 129 }, () => tool(undefined)) }, 'tools', 'array_above_max_length', "Invalid 'tools': array too long. Expected an array with maximum length 128, but got an array with length 129 instead."],
  ['a tool of another type', { ...base, tools: [{ type: 'retrieval' }] }, 'tools[0].type', 'invalid_value', "Invalid value: 'retrieval'. Supported values are: 'function' and 'custom'."],
  ['a tool without its function', { ...base, tools: [{ type: 'function' }] }, 'tools[0].function', 'missing_required_parameter'],
  ['a function without a name', { ...base, tools: [{ type: 'function', function: {} }] }, 'tools[0].function.name', 'missing_required_parameter'],
  ['a function name with a space', { ...base, tools: [{ type: 'function', function: { name: 'has space' } }] }, 'tools[0].function.name', 'invalid_value', "Invalid 'tools[0].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'."],
  ['a function name of 65 characters', { ...base, tools: [{ type: 'function', function: { name: 'f'.repeat(65) } }] }, 'tools[0].function.name', 'string_above_max_length'],
  ['strict as a string', { ...base, tools: [tool(closed, { strict: 'yes' })] }, 'tools[0].function.strict', 'invalid_type'],
  ['a custom tool format with an unknown field', { ...base, tools: [{ type: 'custom', custom: { name: 'c', format: { type: 'text', extra: 1 } } }] }, 'tools[0].custom.format.extra', 'unknown_parameter', "Unknown parameter: 'tools[0].custom.format.extra'."],
  ['a grammar of an unknown syntax', { ...base, tools: [{ type: 'custom', custom: { name: 'c', format: { type: 'grammar', grammar: { definition: 'x', syntax: 'ebnf' } } } }] }, 'tools[0].custom.format.grammar.syntax', 'invalid_value'],
  ['an unknown tool_choice', { ...base, tool_choice: 'sometimes' }, 'tool_choice', 'invalid_value', "Invalid value: 'sometimes'. Supported values are: 'none', 'auto', and 'required'."],
  ['a tool_choice of an unknown type', { ...base, tool_choice: { type: 'tool' } }, 'tool_choice.type', 'invalid_value'],
  ['a named tool_choice without the function', { ...base, tool_choice: { type: 'function' } }, 'tool_choice.function', 'missing_required_parameter'],
  ['allowed_tools of an unknown mode', { ...base, tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'any', tools: [] } } }, 'tool_choice.allowed_tools.mode', 'invalid_value'],
  ['parallel_tool_calls as a string', { ...base, parallel_tool_calls: 'yes' }, 'parallel_tool_calls', 'invalid_type'],
  ['no functions', { ...base, functions: [] }, 'functions', 'empty_array'],
  ['an unknown function_call', { ...base, function_call: 'always' }, 'function_call', 'invalid_value'],
]);

refusalTable("parseChatRequest refuses a function's parameters OpenAI refuses", [
  [
    'the example from the issue: parameters of type string',
    { model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }] },
    'tools[0].function.parameters',
    'invalid_function_parameters',
    `Invalid schema for function 'f': schema must be a JSON Schema of 'type: "object"', got 'type: "string"'.`,
  ],
  ['parameters of type array', { ...base, tools: [tool({ type: 'array', items: {} })] }, 'tools[0].function.parameters', 'invalid_function_parameters'],
  ['parameters as a string', { ...base, tools: [tool('{"type":"object"}')] }, 'tools[0].function.parameters', 'invalid_type', "Invalid type for 'tools[0].function.parameters': expected an object, but got a string instead."],
  ['properties as an array', { ...base, tools: [tool({ type: 'object', properties: [] })] }, 'tools[0].function.parameters', 'invalid_function_parameters', "Invalid schema for function 'f': In context=('properties',), expected 'object'."],
  ['required as true', { ...base, tools: [tool({ type: 'object', properties: {}, required: true })] }, 'tools[0].function.parameters', 'invalid_function_parameters', "Invalid schema for function 'f': In context=('required',), expected 'array'."],
  ['required naming a number', { ...base, tools: [tool({ type: 'object', required: [1] })] }, 'tools[0].function.parameters', 'invalid_function_parameters', "Invalid schema for function 'f': In context=('required', '0'), expected 'string'."],
  ['a property schema that is a string', { ...base, tools: [tool({ type: 'object', properties: { a: 'string' } })] }, 'tools[0].function.parameters', 'invalid_function_parameters', "Invalid schema for function 'f': In context=('properties', 'a'), expected 'object' or 'boolean'."],
  ['an unknown type deep inside', { ...base, tools: [tool({ type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'strin' } } } } })] }, 'tools[0].function.parameters', 'invalid_function_parameters'],
  ['an array without items', { ...base, tools: [tool({ type: 'object', properties: { list: { type: 'array' } } })] }, 'tools[0].function.parameters', 'invalid_function_parameters', "Invalid schema for function 'f': In context=('properties', 'list'), array schema missing items."],
  ['an array type union without items', { ...base, tools: [tool({ type: 'object', properties: { a: { anyOf: [{ type: ['string', 'array'] }] } } })] }, 'tools[0].function.parameters', 'invalid_function_parameters', "Invalid schema for function 'f': In context=('properties', 'a', 'anyOf', '0'), array schema missing items."],
  ['strict without additionalProperties false', { ...base, tools: [tool({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { strict: true })] }, 'tools[0].function.parameters', 'invalid_function_parameters', "Invalid schema for function 'f': In context=(), 'additionalProperties' is required to be supplied and to be false."],
  ['strict with a property not required', { ...base, tools: [tool({ ...closed, properties: { a: { type: 'string' }, b: { type: 'string' } } }, { strict: true })] }, 'tools[0].function.parameters', 'invalid_function_parameters', "Invalid schema for function 'f': In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'b'."],
  ['strict with an open nested object', { ...base, tools: [tool({ ...closed, properties: { a: { type: 'object', properties: {} } } }, { strict: true })] }, 'tools[0].function.parameters', 'invalid_function_parameters'],
  ['strict with an object without properties', { ...base, tools: [tool({ type: 'object', additionalProperties: false }, { strict: true })] }, 'tools[0].function.parameters', 'invalid_function_parameters', "Invalid schema for function 'f': In context=(), object schema missing properties."],
]);

refusalTable('parseChatRequest refuses response formats OpenAI refuses', [
  ['an unknown type', { ...base, response_format: { type: 'xml' } }, 'response_format.type', 'invalid_value', "Invalid value: 'xml'. Supported values are: 'text', 'json_object', and 'json_schema'."],
  ['json_schema without its definition', { ...base, response_format: { type: 'json_schema' } }, 'response_format.json_schema', 'missing_required_parameter'],
  ['a schema without a name', { ...base, response_format: { type: 'json_schema', json_schema: { schema: closed } } }, 'response_format.json_schema.name', 'missing_required_parameter'],
  ['a name with a space', { ...base, response_format: { type: 'json_schema', json_schema: { name: 'my answer', schema: closed } } }, 'response_format.json_schema.name', 'invalid_value'],
  ['a schema with properties as an array', { ...base, response_format: schemaFormat({ type: 'object', properties: [] }) }, 'response_format.json_schema.schema', 'invalid_json_schema', "Invalid schema for response_format 'answer': In context=('properties',), expected 'object'."],
  ['a strict schema left open', { ...base, response_format: schemaFormat({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { strict: true }) }, 'response_format.json_schema.schema', 'invalid_json_schema'],
  ['a strict schema whose root is a union', { ...base, response_format: schemaFormat({ anyOf: [closed] }, { strict: true }) }, 'response_format.json_schema.schema', 'invalid_json_schema'],
]);

refusalTable('parseChatRequest refuses metadata beyond OpenAI’s limits', [
  ['17 pairs', { ...base, metadata: Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`k${index}`, 'v'])) }, 'metadata', 'object_above_max_properties', "Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with 17 properties instead."],
  ['a numeric value', { ...base, metadata: { k: 1 } }, 'metadata.k', 'invalid_type', "Invalid type for 'metadata.k': expected a string, but got an integer instead."],
  ['a value of 513 characters', { ...base, metadata: { k: 'v'.repeat(513) } }, 'metadata.k', 'string_above_max_length', "Invalid 'metadata.k': string too long. Expected a string with maximum length 512, but got a string with length 513 instead."],
  ['a key of 65 characters', { ...base, metadata: { ['k'.repeat(65)]: 'v' } }, 'metadata', 'string_above_max_length'],
  ['an array', { ...base, metadata: ['k'] }, 'metadata', 'invalid_type', "Invalid type for 'metadata': expected an object, but got an array instead."],
]);

refusalTable('parseChatRequest refuses the other documented fields when malformed', [
  ['an unknown reasoning_effort', { ...base, reasoning_effort: 'extreme' }, 'reasoning_effort', 'invalid_value'],
  ['an unknown verbosity', { ...base, verbosity: 'loud' }, 'verbosity', 'invalid_value'],
  ['an unknown service_tier', { ...base, service_tier: 'gold' }, 'service_tier', 'invalid_value'],
  ['store as a string', { ...base, store: 'yes' }, 'store', 'invalid_type'],
  ['an unknown modality', { ...base, modalities: ['video'] }, 'modalities[0]', 'invalid_value', "Invalid value: 'video'. Supported values are: 'text' and 'audio'."],
  ['audio output without audio', { ...base, modalities: ['text', 'audio'] }, 'audio', 'missing_required_parameter'],
  ['an unknown audio format', { ...base, modalities: ['audio'], audio: { voice: 'alloy', format: 'ogg' } }, 'audio.format', 'invalid_value'],
  ['a custom voice without a string id', { ...base, audio: { voice: { id: 1 }, format: 'wav' } }, 'audio.voice.id', 'invalid_type'],
  ['a prediction of another type', { ...base, prediction: { type: 'diff', content: 'x' } }, 'prediction.type', 'invalid_value'],
  ['an unknown search_context_size', { ...base, web_search_options: { search_context_size: 'huge' } }, 'web_search_options.search_context_size', 'invalid_value'],
  ['a user_location that is not approximate', { ...base, web_search_options: { user_location: { type: 'exact', approximate: {} } } }, 'web_search_options.user_location.type', 'invalid_value'],
  ['a safety_identifier of 65 characters', { ...base, safety_identifier: 'x'.repeat(65) }, 'safety_identifier', 'string_above_max_length'],
  ['a numeric prompt_cache_key', { ...base, prompt_cache_key: 5 }, 'prompt_cache_key', 'invalid_type'],
  ['an unknown prompt_cache_retention', { ...base, prompt_cache_retention: '1h' }, 'prompt_cache_retention', 'invalid_value'],
  ['a numeric user', { ...base, user: 5 }, 'user', 'invalid_type'],
  ['moderation without a model', { ...base, moderation: {} }, 'moderation.model', 'missing_required_parameter'],
]);

describe('parseChatRequest', () => {
  test('toParam writes paths the way OpenAI names parameters', () => {
    assert.equal(toParam(['messages', 0, 'content', 1, 'image_url', 'url']), 'messages[0].content[1].image_url.url');
    assert.equal(toParam([]), '');
  });

  test('a quoted client value is cut short: refusal messages are logged', () => {
    const error = refusal({ ...base, reasoning_effort: 'x'.repeat(10_000) });
    assert.ok(error.message.length < 300, error.message);
  });
});

describe('parseChatRequest bounds JSON nesting', () => {
  const accepted = (body: Record<string, unknown>): void => {
    assert.doesNotThrow(() => parseChatRequest(Buffer.from(JSON.stringify(body))));
  };
  const refusedAt = (body: Record<string, unknown>, param: string): void => {
    const error = refusal(body);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'json_nesting_too_deep');
    assert.equal(error.param, param);
    assert.ok(error.message.includes(`'${param}'`) && error.message.includes('128'), error.message);
  };

  test('the body: 128 levels pass, 129 are refused naming the field', () => {
    accepted({ ...base, x: nestedArrays(127) });
    refusedAt({ ...base, x: nestedArrays(128) }, 'x');
  });

  test('the example from the issue: 5,000 levels are a 400, not a 500', () => {
    const text = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const error = refusal(text);
    assert.equal(error.status, 400);
    assert.equal(error.param, 'x');
  });

  test("a tool's parameters (level 5 of the body) may nest 124 levels", () => {
    const tool = (depth: number) => ({ type: 'function', function: { name: 'f', parameters: schemaOfDepth(depth) } });
    accepted({ ...base, tools: [tool(124)] });
    refusedAt({ ...base, tools: [{ type: 'function', function: { name: 'f' } }, tool(125)] }, 'tools[1].function.parameters');
  });

  test('a response_format schema (level 4 of the body) may nest 125 levels', () => {
    const format = (depth: number) => ({ type: 'json_schema', json_schema: { name: 'answer', schema: schemaOfDepth(depth) } });
    accepted({ ...base, response_format: format(125) });
    refusedAt({ ...base, response_format: format(126) }, 'response_format.json_schema.schema');
  });

  test('inside a message, the message and field are named', () => {
    refusedAt({ ...base, messages: [{ role: 'user', content: 'hi' }, { role: 'user', content: 'x', extra: nestedArrays(126) }] }, 'messages[1].extra');
  });

  test('brackets inside strings are text, not nesting', () => {
    accepted({ ...base, messages: [{ role: 'user', content: '['.repeat(10_000) }] });
  });
});
