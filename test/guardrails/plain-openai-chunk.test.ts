import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { plainOpenAIContent } from '../../src/guardrails/plain-openai-chunk.js';

/**
 * The common OpenAI text chunk is read without JSON.parse; anything else must be left to the
 * parser (undefined), so the fast reading never disagrees with it.
 */
const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', service_tier: 'default', system_fingerprint: 'fp_1' };
const chunk = (choices: unknown[], extra: object = {}) => JSON.stringify({ ...base, choices, ...extra });

describe('plainOpenAIContent', () => {
  test('reads the text and index of OpenAI\'s token chunks, escapes decoded as JSON.parse decodes them', () => {
    for (const content of ['Hello', '', 'a "quoted" \\ back\nslash\t\u0001 é 😀 <EMAIL_1>']) {
      const payload = chunk([{ index: 0, delta: { content }, logprobs: null, finish_reason: null }], { usage: null, obfuscation: 'x1' });
      assert.deepEqual(plainOpenAIContent(payload), { index: 0, content });
    }
    assert.deepEqual(plainOpenAIContent(chunk([{ index: 2, delta: { role: 'assistant', content: '', refusal: null }, finish_reason: null }])), { index: 2, content: '' });
  });

  test('every other shape is left to the parser', () => {
    const others = [
      chunk([{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }]),
      chunk([{ index: 0, delta: {}, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: null, tool_calls: [{ index: 0, function: { arguments: '{}' } }] }, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: 'x' }, finish_reason: null }, { index: 1, delta: { content: 'y' }, finish_reason: null }]),
      chunk([]),
      chunk([{ index: 0, delta: { content: 'x' }, finish_reason: null }], { usage: { prompt_tokens: 1 } }),
      JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null }] }, null, 1),
      // JSON.parse keeps the last of duplicate keys.
      '{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}],"choices":null}',
      // Not JSON: a leading zero, a raw control character, an unknown escape.
      '{"id":01,"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}',
      '{"choices":[{"index":0,"delta":{"content":"x\u0001"},"finish_reason":null}]}',
      '{"choices":[{"index":0,"delta":{"content":"\\q"},"finish_reason":null}]}',
    ];
    for (const payload of others) assert.equal(plainOpenAIContent(payload), undefined, payload);
  });
});
