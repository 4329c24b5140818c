import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import OpenAI from 'openai';
import { ChatStreamWriter } from '../../../src/api/openai-chat/chat-stream-writer.js';
import type { StreamPart } from '../../../src/model/stream-part.js';

const context = { id: 'chatcmpl-1', created: 1_700_000_000, model: 'alias', includeUsage: true };
const usage = { promptTokens: 10, completionTokens: 5, totalTokens: 15, cachedTokens: 2, cacheWriteTokens: 0, reasoningTokens: 1 };

function events(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter((event) => event !== '')
    .map((event) => (event === 'data: [DONE]' ? '[DONE]' : JSON.parse(event.replace(/^data: /, ''))));
}

/** What the official SDK makes of the bytes: a client whose fetch answers with them, and the SDK's own stream accumulator. */
async function accumulated(text: string) {
  const client = new OpenAI({ apiKey: 'unused', maxRetries: 0, fetch: async () => new Response(text, { headers: { 'content-type': 'text/event-stream' } }) });
  return client.chat.completions.stream({ model: 'alias', messages: [{ role: 'user', content: 'hi' }] }).finalChatCompletion();
}

describe('ChatStreamWriter', () => {
  test('text, reasoning and tool calls become OpenAI chunks the SDK assembles into one message', async () => {
    const writer = new ChatStreamWriter(context);
    const parts: StreamPart[] = [
      { type: 'start', model: 'provider-model' },
      { type: 'reasoning-delta', text: 'thinking...' },
      { type: 'text-delta', text: 'Hello' },
      { type: 'text-delta', text: ', world' },
      { type: 'tool-call-start', index: 0, id: 'call_1', name: 'lookup' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"q":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '"x"}' },
      { type: 'tool-call-end', index: 0 },
      { type: 'tool-call-start', index: 1, id: 'call_2', name: 'now' },
      { type: 'tool-call-end', index: 1 },
      { type: 'usage', usage },
      { type: 'finish', reason: 'tool_calls' },
    ];
    const text = writer.write(parts.slice(0, 5)) + writer.write(parts.slice(5)) + writer.end();
    const chunks = events(text);
    assert.deepEqual(chunks[0], { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'provider-model', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
    assert.equal(chunks.at(-1), '[DONE]');
    assert.deepEqual((chunks.at(-2) as { usage: unknown; choices: unknown[] }).choices, []);
    const completion = await accumulated(text);
    const message = completion.choices[0]!.message;
    assert.equal(message.content, 'Hello, world');
    assert.deepEqual(message.tool_calls?.map((call) => [call.id, call.function.name, call.function.arguments]), [
      ['call_1', 'lookup', '{"q":"x"}'],
      ['call_2', 'now', '{}'],
    ]);
    assert.equal(completion.choices[0]!.finish_reason, 'tool_calls');
    assert.deepEqual(completion.usage, { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 2 }, completion_tokens_details: { reasoning_tokens: 1 } });
    assert.ok(!JSON.stringify(message.content).includes('thinking'), 'reasoning stays out of the answer');
    assert.ok(text.includes('"reasoning_content":"thinking..."'));
  });

  test('no usage chunk unless asked; finish reasons are OpenAI\'s four', () => {
    const writer = new ChatStreamWriter({ ...context, includeUsage: false });
    const text = writer.write([{ type: 'text-delta', text: 'a' }, { type: 'usage', usage }, { type: 'finish', reason: 'stop_sequence', stopSequence: 'END' }]) + writer.end();
    const chunks = events(text);
    assert.equal(chunks.length, 4);
    assert.equal((chunks[2] as { choices: { finish_reason: string }[] }).choices[0]!.finish_reason, 'stop');
    assert.equal(writer.usage, usage, 'usage is still known for metering');
  });

  test('a cut-off stream gets neither a finish chunk nor [DONE]; an error ends it with an error event and nothing after', () => {
    const cut = new ChatStreamWriter(context);
    const cutText = cut.write([{ type: 'text-delta', text: 'partial' }]) + cut.end();
    assert.ok(!cutText.includes('[DONE]') && !cutText.includes('"finish_reason":"'));

    const failed = new ChatStreamWriter(context);
    const failedText =
      failed.write([
        { type: 'text-delta', text: 'a' },
        { type: 'error', failure: { status: 503, kind: 'overloaded', message: 'Overloaded', code: 'overloaded_error' } },
        { type: 'text-delta', text: 'never' },
      ]) + failed.end();
    const chunks = events(failedText);
    assert.deepEqual(chunks.at(-1), { error: { message: 'Overloaded', type: 'server_error', param: null, code: 'overloaded_error' } });
    assert.ok(!failedText.includes('never') && !failedText.includes('[DONE]'));
  });

  test('several choices each open, carry their log probabilities, and finish; [DONE] only after all', async () => {
    const writer = new ChatStreamWriter({ ...context, includeUsage: false });
    const logprob = { token: 'A', logprob: -0.1, bytes: [65], top_logprobs: [] };
    let text = writer.write([
      { type: 'text-delta', choice: 1, text: 'B' },
      { type: 'text-delta', choice: 0, text: 'A' },
      { type: 'logprobs', choice: 0, logprobs: [logprob] },
      { type: 'finish', choice: 1, reason: 'stop' },
    ]);
    assert.equal(writer.end(), '', 'choice 0 has not finished');
    text += writer.write([{ type: 'finish', choice: 0, reason: 'length' }]) + writer.end();
    const completion = await accumulated(text);
    assert.deepEqual(completion.choices.map((choice) => [choice.index, choice.message.content, choice.finish_reason]), [
      [0, 'A', 'length'],
      [1, 'B', 'stop'],
    ]);
    assert.deepEqual(completion.choices[0]!.logprobs?.content, [logprob]);
  });
});
