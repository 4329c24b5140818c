import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { anthropicMessagesPassthrough } from '../../../src/providers/anthropic/anthropic-messages-passthrough.js';
import { randomChunks, seededRandom } from '../../support/chunkings.js';

/** Anthropic's documented stream (docs.claude.com/en/docs/build-with-claude/streaming), with cache counts and a multi-byte character. */
const event = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const STREAM =
  event('message_start', {
    message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'claude-haiku-4-5-20251001', stop_reason: null, usage: { input_tokens: 21, cache_creation_input_tokens: 4, cache_read_input_tokens: 8, output_tokens: 1 } },
  }) +
  event('ping', {}) +
  event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
  event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Grüße 👋' } }) +
  event('content_block_stop', { index: 0 }) +
  event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 15 } }) +
  event('message_stop', {});

describe('Anthropic Messages pass-through', () => {
  test('stream chunks come back as the same buffers, and usage is read from message_start and message_delta, whatever the chunking', () => {
    const bytes = Buffer.from(STREAM);
    const cuts: Buffer[][] = [[bytes], [...bytes].map((byte) => Buffer.from([byte]))];
    for (let seed = 1; seed <= 10; seed += 1) cuts.push(randomChunks(bytes, seededRandom(seed), 30));
    for (const pieces of cuts) {
      const observer = anthropicMessagesPassthrough.createStreamTranslator();
      for (const piece of pieces) assert.equal(observer.push(piece), piece, 'the chunk itself, untouched');
      assert.equal(observer.end().length, 0);
      assert.deepEqual(observer.usage, { promptTokens: 33, completionTokens: 15, totalTokens: 48, cachedTokens: 8, cacheWriteTokens: 4, reasoningTokens: 0 });
      assert.equal(observer.model, 'claude-haiku-4-5-20251001');
    }
  });

  test('a whole Message passes through; its usage is metered; an error passes through unread', () => {
    const body = Buffer.from(JSON.stringify({ id: 'msg_2', type: 'message', model: 'claude-haiku-4-5-20251001', content: [], usage: { input_tokens: 10, cache_read_input_tokens: 2, output_tokens: 3 } }));
    const translated = anthropicMessagesPassthrough.translateResponse({ status: 200, headers: {}, body });
    assert.equal(translated.body, undefined);
    assert.deepEqual(translated.usage, { promptTokens: 12, completionTokens: 3, totalTokens: 15, cachedTokens: 2, cacheWriteTokens: 0, reasoningTokens: 0 });
    const failed = anthropicMessagesPassthrough.translateResponse({ status: 529, headers: {}, body: Buffer.from('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}') });
    assert.equal(failed.body, undefined);
    assert.equal(failed.usage, undefined);
  });
});
