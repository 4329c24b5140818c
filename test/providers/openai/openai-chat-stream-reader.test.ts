import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MessagesStreamWriter } from '../../../src/api/anthropic-messages/messages-stream-writer.js';
import type { StreamPart } from '../../../src/model/stream-part.js';
import { OpenAIChatStreamReader } from '../../../src/providers/openai/openai-chat-stream-reader.js';
import { readOpenAICompletion } from '../../../src/providers/openai/read-openai-completion.js';
import { anthropicClientAnswering, ANY_REQUEST } from '../../support/anthropic-sdk-client.js';
import { randomChunks, seededRandom } from '../../support/chunkings.js';

/** An OpenAI stream as OpenAI sends it: role, reasoning (vLLM), text, two tool calls, finish, usage chunk, [DONE]. */
const envelope = { id: 'chatcmpl-9', object: 'chat.completion.chunk', created: 1, model: 'gpt-5-mini' };
const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => `data: ${JSON.stringify({ ...envelope, choices, ...extra })}\n\n`;
const delta = (value: Record<string, unknown>, finish: string | null = null) => chunk([{ index: 0, delta: value, logprobs: null, finish_reason: finish }]);
const STREAM =
  delta({ role: 'assistant', content: '' }) +
  delta({ reasoning_content: 'Let me think.' }) +
  delta({ content: 'Héllo 👋' }) +
  delta({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'lookup', arguments: '' } }] }) +
  delta({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }) +
  delta({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] }) +
  delta({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'now', arguments: '{}' } }] }) +
  delta({}, 'tool_calls') +
  chunk([], { usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 3 } } }) +
  'data: [DONE]\n\n';

/** Whole, one byte at a time (mid-line, mid-JSON, mid-UTF-8 character), and seeded random cuts. */
function chunkings(bytes: Buffer): Buffer[][] {
  const cuts = [[bytes], [...bytes].map((byte) => Buffer.from([byte]))];
  for (let seed = 1; seed <= 20; seed += 1) cuts.push(randomChunks(bytes, seededRandom(seed), 40));
  return cuts;
}

function readAll(pieces: readonly Buffer[]): StreamPart[] {
  const reader = new OpenAIChatStreamReader();
  return [...pieces.flatMap((piece) => reader.push(piece)), ...reader.end()];
}

describe('OpenAIChatStreamReader', () => {
  test('an OpenAI stream becomes neutral parts, whatever the chunking', () => {
    const expected: StreamPart[] = [
      { type: 'start', id: 'chatcmpl-9', model: 'gpt-5-mini' },
      { type: 'reasoning-delta', choice: 0, text: 'Let me think.' },
      { type: 'text-delta', choice: 0, text: 'Héllo 👋' },
      { type: 'tool-call-start', choice: 0, index: 0, id: 'call_a', name: 'lookup' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '{"q":' },
      { type: 'tool-call-delta', choice: 0, index: 0, argumentsDelta: '"x"}' },
      { type: 'tool-call-end', choice: 0, index: 0 },
      { type: 'tool-call-start', choice: 0, index: 1, id: 'call_b', name: 'now' },
      { type: 'tool-call-delta', choice: 0, index: 1, argumentsDelta: '{}' },
      { type: 'tool-call-end', choice: 0, index: 1 },
      { type: 'usage', usage: { promptTokens: 12, completionTokens: 9, totalTokens: 21, cachedTokens: 4, cacheWriteTokens: 0, reasoningTokens: 3 } },
      { type: 'finish', choice: 0, reason: 'tool_calls' },
    ];
    for (const pieces of chunkings(Buffer.from(STREAM))) assert.deepEqual(readAll(pieces), expected);
  });

  test('through the Anthropic writer, the official Anthropic SDK reads a whole Message from it', async () => {
    const writer = new MessagesStreamWriter({ id: 'msg_gw_1', model: 'alias' });
    const text = writer.write(readAll([Buffer.from(STREAM)]));
    const message = await anthropicClientAnswering(text, { headers: { 'content-type': 'text/event-stream' } }).messages.stream(ANY_REQUEST).finalMessage();
    assert.deepEqual(
      message.content.map((block) => (block.type === 'tool_use' ? [block.type, block.name, block.input] : block.type === 'text' ? [block.type, block.text] : [block.type])),
      [['thinking'], ['text', 'Héllo 👋'], ['tool_use', 'lookup', { q: 'x' }], ['tool_use', 'now', {}]],
    );
    assert.equal(message.stop_reason, 'tool_use');
    assert.equal(message.usage.output_tokens, 9);
  });

  test('an error event, or data that is not JSON, ends the stream with an error part', () => {
    const reader = new OpenAIChatStreamReader();
    const parts = reader.push(Buffer.from(delta({ content: 'a' }) + 'data: {"error":{"message":"Overloaded","type":"server_error","code":"overloaded"}}\n\n' + delta({ content: 'never' })));
    assert.deepEqual(parts.at(-1), { type: 'error', failure: { status: 500, kind: 'server', message: 'Overloaded', code: 'overloaded', param: undefined } });
    assert.ok(!parts.some((part) => part.type === 'text-delta' && part.text === 'never'));
    const broken = new OpenAIChatStreamReader().push(Buffer.from('data: {not json\n\n'));
    assert.equal(broken.at(-1)?.type, 'error');
  });

  test('a whole completion becomes a neutral completion', () => {
    const completion = readOpenAICompletion({
      id: 'chatcmpl-1',
      model: 'gpt-4o',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi', reasoning_content: 'hm', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }, finish_reason: 'tool_calls', logprobs: null }],
      usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
    });
    assert.deepEqual(completion, {
      id: 'chatcmpl-1',
      model: 'gpt-4o',
      choices: [{ index: 0, content: [{ type: 'reasoning', text: 'hm' }, { type: 'text', text: 'Hi' }, { type: 'tool-call', id: 'call_1', name: 'f', arguments: '{"a":1}' }], finishReason: 'tool_calls', logprobs: undefined }],
      usage: { promptTokens: 5, completionTokens: 2, totalTokens: 7, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    });
    assert.equal(readOpenAICompletion({ object: 'error' }), undefined);
  });
});
