import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Anthropic from '@anthropic-ai/sdk';
import { writeMessage } from '../../../src/api/anthropic-messages/write-message.js';
import { anthropicUsage } from '../../../src/api/anthropic-messages/anthropic-usage.js';
import type { Completion } from '../../../src/model/completion.js';
import type { Usage } from '../../../src/model/usage.js';
import { ANY_REQUEST, anthropicClientAnswering } from '../../support/anthropic-sdk-client.js';

const context = { id: 'msg_gw_1', model: 'claude-sonnet-4-6' };
const usage: Usage = { promptTokens: 100, completionTokens: 40, totalTokens: 140, cachedTokens: 30, cacheWriteTokens: 20, reasoningTokens: 15 };

const completion: Completion = {
  id: 'chatcmpl-1',
  model: 'gpt-5',
  choices: [{ index: 0, finishReason: 'tool_calls', content: [
    { type: 'reasoning', text: 'Think first.', signature: 'sig-1' },
    { type: 'redacted-reasoning', data: 'opaque' },
    { type: 'text', text: 'Checking the weather.' },
    { type: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris","days":[1,2]}' },
    { type: 'tool-call', id: 'call_2', name: 'now', arguments: '' },
  ] }],
  usage,
};

describe('writeMessage', () => {
  test('writes every block kind, the stop reason and Anthropic usage', () => {
    assert.deepEqual(writeMessage(completion, context), {
      id: 'msg_gw_1',
      type: 'message',
      role: 'assistant',
      model: 'gpt-5',
      content: [
        { type: 'thinking', thinking: 'Think first.', signature: 'sig-1' },
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'text', text: 'Checking the weather.', citations: null },
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris', days: [1, 2] }, caller: { type: 'direct' } },
        { type: 'tool_use', id: 'call_2', name: 'now', input: {}, caller: { type: 'direct' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      stop_details: null,
      container: null,
      diagnostics: null,
      usage: {
        input_tokens: 50,
        output_tokens: 40,
        cache_creation_input_tokens: 20,
        cache_read_input_tokens: 30,
        cache_creation: null,
        server_tool_use: null,
        service_tier: null,
        inference_geo: null,
        speed: null,
        output_tokens_details: { thinking_tokens: 15 },
      },
    });
  });

  test('is a Message as the official SDK types and reads it', async () => {
    const message = writeMessage(completion, context);
    // Compile-time: the writer's output is assignable to the SDK's own Message type.
    const typed: Anthropic.Message = message;
    const read = await anthropicClientAnswering(JSON.stringify(typed)).messages.create(ANY_REQUEST);
    assert.deepEqual(read, message);
  });

  test('reports the stop sequence that ended the message', () => {
    const message = writeMessage({ choices: [{ index: 0, content: [{ type: 'text', text: 'one two' }], finishReason: 'stop_sequence', stopSequence: 'three' }] }, context);
    assert.equal(message.stop_reason, 'stop_sequence');
    assert.equal(message.stop_sequence, 'three');
  });

  test('a stop sequence is reported only with the stop_sequence reason', () => {
    const message = writeMessage({ choices: [{ index: 0, content: [], finishReason: 'stop', stopSequence: 'three' }] }, context);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.stop_sequence, null);
  });

  test('uses the requested model when the provider names none, and zero usage when it reports none', () => {
    const message = writeMessage({ choices: [{ index: 0, content: [{ type: 'text', text: 'hi' }], finishReason: 'stop' }] }, context);
    assert.equal(message.model, 'claude-sonnet-4-6');
    assert.deepEqual(
      { input: message.usage.input_tokens, output: message.usage.output_tokens, details: message.usage.output_tokens_details },
      { input: 0, output: 0, details: null },
    );
  });

  test('leaves out empty text, and a refusal may have no content at all', () => {
    const message = writeMessage({ choices: [{ index: 0, content: [{ type: 'text', text: '' }], finishReason: 'content_filter' }] }, context);
    assert.deepEqual(message.content, []);
    assert.equal(message.stop_reason, 'refusal');
  });

  test('a thinking block the provider did not sign gets an empty signature', () => {
    const message = writeMessage({ choices: [{ index: 0, content: [{ type: 'reasoning', text: 'hm' }], finishReason: 'stop' }] }, context);
    assert.deepEqual(message.content, [{ type: 'thinking', thinking: 'hm', signature: '' }]);
  });

  for (const [name, text] of [
    ['cut off by max_tokens', '{"city":"Par'],
    ['not JSON', 'city=Paris'],
    ['a JSON array', '["Paris"]'],
    ['JSON null', 'null'],
    ['a JSON string', '"Paris"'],
  ] as const) {
    test(`tool arguments that are ${name} become an empty input`, () => {
      const message = writeMessage({ choices: [{ index: 0, content: [{ type: 'tool-call', id: 'c', name: 'f', arguments: text }], finishReason: 'length' }] }, context);
      assert.deepEqual(message.content, [{ type: 'tool_use', id: 'c', name: 'f', input: {}, caller: { type: 'direct' } }]);
      assert.equal(message.stop_reason, 'max_tokens');
    });
  }
});

describe('anthropicUsage', () => {
  test('splits the prompt into uncached input, cache reads and cache writes', () => {
    const written = anthropicUsage(usage);
    assert.equal(written.input_tokens + written.cache_read_input_tokens + written.cache_creation_input_tokens, usage.promptTokens);
    assert.deepEqual([written.input_tokens, written.cache_read_input_tokens, written.cache_creation_input_tokens], [50, 30, 20]);
  });

  test('never reports negative input when a provider counts cache tokens beyond the prompt', () => {
    assert.equal(anthropicUsage({ ...usage, promptTokens: 10 }).input_tokens, 0);
  });

  test('reports no thinking details when there was no reasoning', () => {
    assert.equal(anthropicUsage({ ...usage, reasoningTokens: 0 }).output_tokens_details, null);
  });
});
