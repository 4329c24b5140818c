import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChatChunkEncoder } from '../../../src/api/openai-chat/chat-chunk-encoder.js';

describe('ChatChunkEncoder', () => {
  test('writes the chat.completion.chunk envelope in OpenAI field order, with the expected model until one is named', () => {
    const encoder = new ChatChunkEncoder('chatcmpl-1', 1_760_000_000, 'gpt');
    assert.equal(
      encoder.chunk(0, { content: 'Hi' }, null, null),
      'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1760000000,"model":"gpt","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]}\n\n',
    );
    encoder.model = 'gpt-4o-2024-08-06';
    assert.equal(
      encoder.chunk(1, {}, 'stop', null),
      'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1760000000,"model":"gpt-4o-2024-08-06","choices":[{"index":1,"delta":{},"logprobs":null,"finish_reason":"stop"}]}\n\n',
    );
  });

  test('usage chunk, error event and [DONE]', () => {
    const encoder = new ChatChunkEncoder('chatcmpl-1', 1, 'gpt');
    const usage = { promptTokens: 3, completionTokens: 2, totalTokens: 5, cachedTokens: 1, cacheWriteTokens: 0, reasoningTokens: 0 };
    assert.equal(
      encoder.usageChunk(usage),
      'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5,"prompt_tokens_details":{"cached_tokens":1},"completion_tokens_details":{"reasoning_tokens":0}}}\n\n',
    );
    assert.equal(encoder.error({ error: { message: 'overloaded' } }), 'data: {"error":{"message":"overloaded"}}\n\n');
    assert.equal(encoder.done(), 'data: [DONE]\n\n');
  });

  test('each chunk is byte for byte what JSON.stringify writes for the whole envelope, whatever the strings and logprobs hold', () => {
    const id = 'chatcmpl-"quoted"\\\n\u2028é';
    const encoder = new ChatChunkEncoder(id, 1_760_000_000, 'model "expected"\n');
    const whole = (model: string, choice: Record<string, unknown>) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1_760_000_000, model, choices: [choice] })}\n\n`;
    const deltas = [{ content: 'line\nbreak "and" \\ \u0000 😀' }, { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }, {}];
    for (const logprobs of [null, undefined, { content: [{ token: 'a', logprob: -0.5, bytes: [97], top_logprobs: [] }], refusal: null }]) {
      for (const delta of deltas) {
        assert.equal(encoder.chunk(2, delta, null, logprobs), whole('model "expected"\n', { index: 2, delta, logprobs, finish_reason: null }));
      }
    }
    encoder.model = 'served\tmodel';
    assert.equal(encoder.chunk(0, {}, 'length', null), whole('served\tmodel', { index: 0, delta: {}, logprobs: null, finish_reason: 'length' }));
    encoder.model = undefined;
    assert.equal(encoder.chunk(0, {}, 'stop', undefined), whole('model "expected"\n', { index: 0, delta: {}, finish_reason: 'stop' }));
  });
});
