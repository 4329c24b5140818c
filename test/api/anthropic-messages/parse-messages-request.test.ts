import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Anthropic from '@anthropic-ai/sdk';
import { GatewayError } from '../../../src/errors.js';
import { parseMessagesRequest, type MessagesRequestHeaders } from '../../../src/api/anthropic-messages/parse-messages-request.js';
import { parseCountTokensRequest } from '../../../src/api/anthropic-messages/parse-count-tokens-request.js';
import { MAX_JSON_NESTING_DEPTH } from '../../../src/json/find-json-nesting-excess.js';

function refusal(body: unknown, headers?: MessagesRequestHeaders, parse: (body: Buffer, headers?: MessagesRequestHeaders) => unknown = parseMessagesRequest): GatewayError {
  try {
    parse(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), headers);
  } catch (error) {
    assert.ok(error instanceof GatewayError, `expected a GatewayError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a refusal');
}

function parse(body: unknown, headers?: MessagesRequestHeaders) {
  return parseMessagesRequest(Buffer.from(JSON.stringify(body)), headers);
}

const base = { model: 'claude-sonnet-4-6', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello' }] };
const userBlocks = (...content: unknown[]) => ({ ...base, messages: [{ role: 'user', content }] });
const image = (source: unknown) => ({ type: 'image', source });

describe('parseMessagesRequest accepts', () => {
  test('a request using every documented field, typed by the official SDK', () => {
    // Typed as the SDK's own params (plus the sampling fields of API version 2023-06-01), so this body is what Anthropic documents.
    const body: Anthropic.MessageCreateParamsNonStreaming & { temperature: number; top_p: number; top_k: number } = {
      model: 'claude-sonnet-4-6',
      max_tokens: 4096,
      system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look:' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'Spec' },
            { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain' }, citations: { enabled: true } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Let me see.', signature: 'sig' },
            { type: 'redacted_thinking', data: 'opaque' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '18C' }], is_error: false, cache_control: { type: 'ephemeral' } },
          ],
        },
      ],
      stop_sequences: ['END'],
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      tools: [
        { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true },
        { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
      ],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
      metadata: { user_id: 'user-1' },
      thinking: { type: 'enabled', budget_tokens: 2048 },
      service_tier: 'standard_only',
      output_config: { effort: 'high', format: { type: 'json_schema', schema: { type: 'object' } } },
    };
    const request = parse(body);
    assert.deepEqual(request, body);
  });

  const accepted: [string, unknown][] = [
    ['max_tokens 0 (cache pre-warming)', { ...base, max_tokens: 0 }],
    ['content as a string', base],
    ['a system message inside messages, as Claude Code sends', { ...base, messages: [...base.messages, { role: 'system', content: [{ type: 'text', text: 'hint' }] }] }],
    ['a final assistant message (prefill)', { ...base, messages: [...base.messages, { role: 'assistant', content: 'The answer is' }] }],
    ['a tool_result with string content and is_error', userBlocks({ type: 'tool_result', tool_use_id: 't', content: 'boom', is_error: true })],
    ['a tool_result without content', userBlocks({ type: 'tool_result', tool_use_id: 't' })],
    ['a tool_result with an image', userBlocks({ type: 'tool_result', tool_use_id: 't', content: [image({ type: 'base64', media_type: 'image/webp', data: 'AA' })] })],
    ['an image from the Files API', userBlocks(image({ type: 'file', file_id: 'file_1' }))],
    ['a document with content source', userBlocks({ type: 'document', source: { type: 'content', content: [{ type: 'text', text: 'a' }] } })],
    ['a block kind the gateway does not know', userBlocks({ type: 'search_result', source: 'x', title: 't', content: [] })],
    ['a field the gateway does not know, on a block', userBlocks({ type: 'text', text: 'a', something_new: 1 })],
    ['a top-level field the gateway does not know', { ...base, context_management: { edits: [] } }],
    ['thinking adaptive with display', { ...base, thinking: { type: 'adaptive', display: 'omitted' } }],
    ['thinking disabled', { ...base, thinking: { type: 'disabled' } }],
    ['tool_choice none', { ...base, tool_choice: { type: 'none' } }],
    ['a tool with type custom', { ...base, tools: [{ type: 'custom', name: 'f', input_schema: { type: 'object' } }] }],
    ['temperature 1 and 0', { ...base, temperature: 1, top_p: 0 }],
    ['null for optional fields', { ...base, system: null, temperature: null, metadata: null, stop_sequences: null }],
  ];
  for (const [name, body] of accepted) {
    test(name, () => {
      assert.deepEqual(parse(body), body);
    });
  }

  test('a thinking budget above max_tokens with the interleaved-thinking beta', () => {
    const body = { ...base, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 8000 } };
    assert.deepEqual(parse(body, { betas: ['interleaved-thinking-2025-05-14'] }), body);
  });

  test('the sampling parameters under API version 2023-06-01', () => {
    const body = { ...base, temperature: 0.2, top_k: 5 };
    assert.deepEqual(parse(body, { anthropicVersion: '2023-06-01' }), body);
  });
});

describe('parseMessagesRequest refuses, naming the field as Anthropic does', () => {
  const cases: [string, unknown, string | null, string, string][] = [
    ['an empty body', '', null, 'missing_body', 'The request body is empty; expected a JSON object.'],
    ['a body that is not JSON', '{"model"', null, 'invalid_json', 'The request body is not valid JSON'],
    ['a JSON array', [], null, 'invalid_json', 'The request body must be a JSON object.'],
    ['no model', { max_tokens: 1, messages: base.messages }, 'model', 'missing_required_parameter', 'model: Field required'],
    ['an empty model', { ...base, model: '' }, 'model', 'invalid_value', 'model: String should have at least 1 character'],
    ['no max_tokens', { model: 'm', messages: base.messages }, 'max_tokens', 'missing_required_parameter', 'max_tokens: Field required'],
    ['a fractional max_tokens', { ...base, max_tokens: 1.5 }, 'max_tokens', 'invalid_value', 'max_tokens: Input should be a valid integer'],
    ['a negative max_tokens', { ...base, max_tokens: -1 }, 'max_tokens', 'invalid_value', 'max_tokens: Input should be greater than or equal to 0'],
    ['max_tokens as a string', { ...base, max_tokens: '10' }, 'max_tokens', 'invalid_value', 'max_tokens: Input should be a valid number'],
    ['no messages', { model: 'm', max_tokens: 1 }, 'messages', 'missing_required_parameter', 'messages: Field required'],
    ['empty messages', { ...base, messages: [] }, 'messages', 'invalid_value', 'messages: List should have at least 1 item after validation, not 0'],
    [
      'an unknown role',
      { ...base, messages: [{ role: 'tool', content: 'x' }] },
      'messages.0.role',
      'invalid_value',
      "messages.0.role: Input tag 'tool' found using 'role' does not match any of the expected tags: 'user', 'assistant', 'system'",
    ],
    ['content of the wrong type', { ...base, messages: [{ role: 'user', content: 5 }] }, 'messages.0.content', 'invalid_value', 'messages.0.content: Input should be a valid string or a valid list'],
    ['a message without content', { ...base, messages: [{ role: 'user' }] }, 'messages.0.content', 'missing_required_parameter', 'messages.0.content: Field required'],
    ['a block without type', userBlocks({ text: 'x' }), 'messages.0.content.0.type', 'missing_required_parameter', 'messages.0.content.0.type: Field required'],
    ['a block that is not an object', userBlocks('x'), 'messages.0.content.0', 'invalid_value', 'messages.0.content.0: Input should be a valid dictionary'],
    ['a text block without text', userBlocks({ type: 'text' }), 'messages.0.content.0.text', 'missing_required_parameter', 'messages.0.content.0.text: Field required'],
    ['a text block with null text', userBlocks({ type: 'text', text: null }), 'messages.0.content.0.text', 'invalid_value', 'messages.0.content.0.text: Input should be a valid string'],
    [
      'an image media type Anthropic does not take',
      userBlocks({ type: 'text', text: 'a' }, image({ type: 'base64', media_type: 'image/bmp', data: 'AA' })),
      'messages.0.content.1.source.media_type',
      'invalid_value',
      "messages.0.content.1.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'",
    ],
    ['an image without source', userBlocks({ type: 'image' }), 'messages.0.content.0.source', 'missing_required_parameter', 'messages.0.content.0.source: Field required'],
    [
      'an image source of an unknown type',
      userBlocks(image({ type: 'path', path: '/etc/passwd' })),
      'messages.0.content.0.source.type',
      'invalid_value',
      "messages.0.content.0.source.type: Input tag 'path' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'",
    ],
    ['an image url source without url', userBlocks(image({ type: 'url' })), 'messages.0.content.0.source.url', 'missing_required_parameter', 'messages.0.content.0.source.url: Field required'],
    [
      'a base64 document that is not a PDF',
      userBlocks({ type: 'document', source: { type: 'base64', media_type: 'text/html', data: 'AA' } }),
      'messages.0.content.0.source.media_type',
      'invalid_value',
      "messages.0.content.0.source.media_type: Input should be 'application/pdf'",
    ],
    [
      'a tool_use whose input is not an object',
      { ...base, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: '{}' }] }] },
      'messages.0.content.0.input',
      'invalid_value',
      'messages.0.content.0.input: Input should be a valid dictionary',
    ],
    ['a tool_result without tool_use_id', userBlocks({ type: 'tool_result', content: 'x' }), 'messages.0.content.0.tool_use_id', 'missing_required_parameter', 'messages.0.content.0.tool_use_id: Field required'],
    [
      'a tool_result whose content holds a bad image',
      userBlocks({ type: 'tool_result', tool_use_id: 't', content: [image({ type: 'url' })] }),
      'messages.0.content.0.content.0.source.url',
      'missing_required_parameter',
      'messages.0.content.0.content.0.source.url: Field required',
    ],
    [
      'a thinking block without signature',
      { ...base, messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: 'hm' }] }] },
      'messages.0.content.0.signature',
      'missing_required_parameter',
      'messages.0.content.0.signature: Field required',
    ],
    ['a bad cache_control', userBlocks({ type: 'text', text: 'a', cache_control: { type: 'persistent' } }), 'messages.0.content.0.cache_control.type', 'invalid_value', "messages.0.content.0.cache_control.type: Input should be 'ephemeral'"],
    ['system of the wrong type', { ...base, system: 5 }, 'system', 'invalid_value', 'system: Input should be a valid string or a valid list'],
    ['a system block that is not text', { ...base, system: [{ type: 'image', source: {} }] }, 'system.0.type', 'invalid_value', "system.0.type: Input should be 'text'"],
    ['temperature above 1', { ...base, temperature: 1.5 }, 'temperature', 'invalid_value', 'temperature: Input should be less than or equal to 1'],
    ['top_p below 0', { ...base, top_p: -0.1 }, 'top_p', 'invalid_value', 'top_p: Input should be greater than or equal to 0'],
    ['a fractional top_k', { ...base, top_k: 2.5 }, 'top_k', 'invalid_value', 'top_k: Input should be a valid integer'],
    ['stop_sequences as a string', { ...base, stop_sequences: 'END' }, 'stop_sequences', 'invalid_value', 'stop_sequences: Input should be a valid list'],
    ['stream as a string', { ...base, stream: 'yes' }, 'stream', 'invalid_value', 'stream: Input should be a valid boolean'],
    [
      'a tool name Anthropic refuses',
      { ...base, tools: [{ name: 'get weather', input_schema: { type: 'object' } }] },
      'tools.0.name',
      'invalid_value',
      "tools.0.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'",
    ],
    ['a tool without input_schema', { ...base, tools: [{ name: 'f' }] }, 'tools.0.input_schema', 'missing_required_parameter', 'tools.0.input_schema: Field required'],
    ['an input_schema that is not an object schema', { ...base, tools: [{ name: 'f', input_schema: { type: 'array' } }] }, 'tools.0.input_schema.type', 'invalid_value', "tools.0.input_schema.type: Input should be 'object'"],
    ['tool_choice tool without name', { ...base, tool_choice: { type: 'tool' } }, 'tool_choice.name', 'missing_required_parameter', 'tool_choice.name: Field required'],
    [
      'an unknown tool_choice',
      { ...base, tool_choice: { type: 'required' } },
      'tool_choice.type',
      'invalid_value',
      "tool_choice.type: Input tag 'required' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'",
    ],
    ['metadata.user_id of the wrong type', { ...base, metadata: { user_id: 7 } }, 'metadata.user_id', 'invalid_value', 'metadata.user_id: Input should be a valid string'],
    ['a thinking budget below 1024', { ...base, thinking: { type: 'enabled', budget_tokens: 1000 } }, 'thinking.budget_tokens', 'invalid_value', 'thinking.budget_tokens: Input should be greater than or equal to 1024'],
    ['thinking enabled without budget', { ...base, thinking: { type: 'enabled' } }, 'thinking.budget_tokens', 'missing_required_parameter', 'thinking.budget_tokens: Field required'],
    [
      'a thinking budget not below max_tokens',
      { ...base, max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 2048 } },
      'thinking.budget_tokens',
      'invalid_value',
      'thinking.budget_tokens: must be less than max_tokens (2048): thinking tokens count towards max_tokens.',
    ],
    ['an unknown service_tier', { ...base, service_tier: 'priority' }, 'service_tier', 'invalid_value', "service_tier: Input should be 'auto' or 'standard_only'"],
    ['an unknown effort', { ...base, output_config: { effort: 'extreme' } }, 'output_config.effort', 'invalid_value', "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'"],
  ];
  for (const [name, body, param, code, message] of cases) {
    test(`${name}: 400 ${param ?? '(body)'}`, () => {
      const error = refusal(body);
      assert.equal(error.status, 400);
      assert.equal(error.type, 'invalid_request_error');
      assert.equal(error.param, param);
      assert.equal(error.code, code);
      assert.ok(error.message.startsWith(message), `message: ${error.message}`);
    });
  }

  for (const parameter of ['temperature', 'top_p', 'top_k']) {
    test(`${parameter} under API version 2026-10-21, even at its default`, () => {
      const error = refusal({ ...base, [parameter]: 1 }, { anthropicVersion: '2026-10-21' });
      assert.equal(error.status, 400);
      assert.equal(error.param, parameter);
      assert.equal(error.message, `${parameter}: Extra inputs are not permitted`);
    });
  }

  test('JSON nested deeper than the bound, before parsing it', () => {
    const deep = `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"metadata":${'['.repeat(MAX_JSON_NESTING_DEPTH)}${']'.repeat(MAX_JSON_NESTING_DEPTH)}}`;
    const error = refusal(deep);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'json_nesting_too_deep');
    assert.match(error.message, /more than 128 levels deep/);
  });

  test('brackets inside strings do not count towards the nesting bound', () => {
    const text = '['.repeat(500);
    assert.equal(parse({ ...base, messages: [{ role: 'user', content: text }] }).messages[0]!.content, text);
  });
});

describe('parseCountTokensRequest', () => {
  test('accepts the prompt fields, and a create body reused as is', () => {
    const body = { model: 'm', messages: base.messages, system: 's', tools: [{ name: 'f', input_schema: { type: 'object' } }], thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 5 };
    assert.deepEqual(parseCountTokensRequest(Buffer.from(JSON.stringify(body))), body);
  });

  test('does not need max_tokens', () => {
    const body = { model: 'm', messages: base.messages };
    assert.deepEqual(parseCountTokensRequest(Buffer.from(JSON.stringify(body))), body);
  });

  test('refuses what create refuses in the prompt', () => {
    const error = refusal({ model: 'm', messages: [] }, undefined, (body) => parseCountTokensRequest(body));
    assert.equal(error.param, 'messages');
    assert.equal(error.message, 'messages: List should have at least 1 item after validation, not 0');
  });
});
