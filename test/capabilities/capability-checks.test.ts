import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ModelCapabilities } from '../../src/capabilities/capability-table.js';
import { chatRequestNeeds } from '../../src/capabilities/chat-request-needs.js';
import { checkCapabilities } from '../../src/capabilities/check-capabilities.js';
import { messagesRequestNeeds } from '../../src/capabilities/messages-request-needs.js';
import { parseMessagesRequest } from '../../src/api/anthropic-messages/parse-messages-request.js';
import { parseChatRequest } from '../../src/gateway/parse-chat-request.js';

const ALL: ModelCapabilities = { context_window: 128000, max_output_tokens: 16384, tools: true, vision: true, json_schema: true, reasoning: true };
const chat = (body: object) => chatRequestNeeds(parseChatRequest(Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...body }))));
const messages = (body: object) =>
  messagesRequestNeeds(parseMessagesRequest(Buffer.from(JSON.stringify({ model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...body })), { anthropicVersion: '2023-06-01', betas: [] }));
const tool = { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } };
const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } };
const anthropicImage = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } };

describe('what a Chat Completions request needs', () => {
  test('nothing for plain text; its output bound when it sets one', () => {
    assert.deepEqual(chat({}), { uses: {}, maxOutputTokens: undefined });
    assert.equal(chat({ max_tokens: 10 }).maxOutputTokens, 10);
    assert.equal(chat({ max_tokens: 10, max_completion_tokens: 20 }).maxOutputTokens, 20);
  });

  test('each capability, named by the field that asks for it', () => {
    assert.deepEqual(chat({ tools: [tool] }).uses, { tools: 'tools' });
    assert.deepEqual(chat({ tools: [] }).uses, {});
    assert.deepEqual(chat({ messages: [{ role: 'system', content: 's' }, { role: 'user', content: [{ type: 'text', text: 'look' }, image] }] }).uses, { vision: 'messages[1].content[1]' });
    assert.deepEqual(chat({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } }).uses, { json_schema: 'response_format' });
    assert.deepEqual(chat({ response_format: { type: 'json_object' } }).uses, {}, 'JSON mode is not a schema');
    assert.deepEqual(chat({ reasoning_effort: 'low' }).uses, { reasoning: 'reasoning_effort' });
  });
});

describe('what an Anthropic Messages request needs', () => {
  test('each capability, in Anthropic dotted paths, and max_tokens as the output bound', () => {
    assert.deepEqual(messages({}), { uses: {}, maxOutputTokens: 100 });
    assert.deepEqual(messages({ tools: [{ name: 'f', input_schema: { type: 'object' } }] }).uses, { tools: 'tools' });
    assert.deepEqual(messages({ messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, anthropicImage] }] }).uses, { vision: 'messages.0.content.1' });
    assert.deepEqual(messages({ thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 2000 }).uses, { reasoning: 'thinking' });
    assert.deepEqual(messages({ thinking: { type: 'disabled' } }).uses, {});
    assert.deepEqual(messages({ output_config: { format: { type: 'json_schema', schema: { type: 'object' } } } }).uses, { json_schema: 'output_config.format' });
  });
});

describe('checkCapabilities', () => {
  test('a model with every capability takes everything', () => {
    assert.equal(checkCapabilities({ uses: { tools: 'tools', vision: 'messages[0].content[0]', json_schema: 'response_format', reasoning: 'reasoning_effort' }, maxOutputTokens: undefined }, ALL, 'm'), undefined);
  });

  for (const [capability, path, words] of [
    ['tools', 'tools', 'tools'],
    ['vision', 'messages[0].content[1]', 'images'],
    ['json_schema', 'response_format', 'a JSON schema for its answer'],
    ['reasoning', 'reasoning_effort', 'reasoning controls'],
  ] as const) {
    test(`a model without ${capability}: a 400 naming the model and ${path}`, () => {
      const error = checkCapabilities({ uses: { [capability]: path }, maxOutputTokens: undefined }, { ...ALL, [capability]: false }, 'small');
      assert.ok(error);
      assert.equal(error.status, 400);
      assert.equal(error.code, 'unsupported_capability');
      assert.equal(error.type, 'invalid_request_error');
      assert.equal(error.param, path);
      assert.equal(error.message, `Model 'small' does not take ${words}: remove ${path}, or use a model that does.`);
    });
  }

  test('a capability the request does not use is not asked for', () => {
    assert.equal(checkCapabilities({ uses: { tools: 'tools' }, maxOutputTokens: undefined }, { ...ALL, vision: false, reasoning: false, json_schema: false }, 'm'), undefined);
  });
});
