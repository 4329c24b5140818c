import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { replayCachedAnswer } from '../../src/cache/replay-cached-answer.js';
import { CompletionAssembler } from '../../src/cache/completion-assembler.js';
import { MemoryResponseCacheStore } from '../../src/cache/memory-response-cache-store.js';
import { OpenAIChatStreamReader } from '../../src/providers/openai/openai-chat-stream-reader.js';
import type { Completion } from '../../src/model/completion.js';
import { createAnswerCapture } from '../../src/cache/answer-capture.js';

const usage = { promptTokens: 10, completionTokens: 5, totalTokens: 15, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
const longText = 'The answer, stored once and replayed in pieces: '.repeat(4);
const completion: Completion = {
  id: 'chatcmpl-original',
  model: 'gpt-upstream-2025',
  choices: [{ index: 0, finishReason: 'tool_calls', content: [{ type: 'text', text: longText }, { type: 'tool-call', id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' }] }],
  usage,
};
const context = { id: 'chatcmpl-new', created: 1_700_000_000, model: 'alias', includeUsage: true };

function sdkFetching(text: string, contentType: string): typeof fetch {
  return async () => new Response(text, { headers: { 'content-type': contentType } });
}

describe('replayed answers', () => {
  test('an OpenAI stream the SDK accumulates to the stored text, tool call, finish and usage', async () => {
    const replay = replayCachedAnswer(completion, { ...context, format: 'openai', stream: true });
    const text = replay.body.toString();
    assert.ok(text.endsWith('data: [DONE]\n\n'));
    const client = new OpenAI({ apiKey: 'unused', maxRetries: 0, fetch: sdkFetching(text, replay.contentType) });
    const final = await client.chat.completions.stream({ model: 'alias', messages: [{ role: 'user', content: 'hi' }] }).finalChatCompletion();
    assert.equal(final.choices[0]!.message.content, longText);
    assert.equal(final.choices[0]!.message.tool_calls?.[0]?.type === 'function' && final.choices[0]!.message.tool_calls[0].function.arguments, '{"q":"x"}');
    assert.equal(final.choices[0]!.finish_reason, 'tool_calls');
    assert.equal(final.usage?.total_tokens, 15);
    // Content in several chunks, as a provider streams it.
    assert.ok((text.match(/"content":"[^"]+"/g) ?? []).length > 1);
  });

  test('no usage chunk unless the client asked for it', () => {
    const text = replayCachedAnswer(completion, { ...context, includeUsage: false, format: 'openai', stream: true }).body.toString();
    assert.doesNotMatch(text, /"usage"/);
    assert.ok(text.endsWith('data: [DONE]\n\n'));
  });

  test('a stored stream read back equals the stored completion (stream -> store -> JSON)', () => {
    const replay = replayCachedAnswer(completion, { ...context, format: 'openai', stream: true });
    const assembler = new CompletionAssembler();
    const reader = new OpenAIChatStreamReader();
    assembler.push(reader.push(replay.body));
    assembler.push(reader.end());
    const back = assembler.completion();
    assert.deepEqual(back?.choices[0]?.content, completion.choices[0]!.content);
    assert.equal(back?.choices[0]?.finishReason, 'tool_calls');
    assert.deepEqual(back?.usage, usage);
  });

  test('a cut-off stream assembles to nothing', () => {
    const replay = replayCachedAnswer(completion, { ...context, format: 'openai', stream: true }).body.toString();
    const cut = replay.slice(0, replay.indexOf('"finish_reason":"tool_calls"'));
    const assembler = new CompletionAssembler();
    assembler.push(new OpenAIChatStreamReader().push(Buffer.from(cut.slice(0, cut.lastIndexOf('\n\n') + 2))));
    assert.equal(assembler.completion(usage), undefined);
  });

  test('an Anthropic stream and message the Anthropic SDK reads', async () => {
    const replay = replayCachedAnswer(completion, { ...context, id: 'msg_new', format: 'anthropic', stream: true });
    const client = new Anthropic({ apiKey: 'unused', maxRetries: 0, fetch: sdkFetching(replay.body.toString(), replay.contentType) });
    const message = await client.messages.stream({ model: 'alias', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    assert.equal(message.id, 'msg_new');
    assert.deepEqual(message.content.map((block) => block.type), ['text', 'tool_use']);
    assert.equal(message.stop_reason, 'tool_use');
    assert.equal(message.usage.output_tokens, 5);
    const json = JSON.parse(replayCachedAnswer(completion, { ...context, id: 'msg_new', format: 'anthropic', stream: false }).body.toString());
    assert.equal(json.content[0].text, longText);
  });
});

describe('answers read back from what the client was sent', () => {
  const thinking: Completion = {
    ...completion,
    choices: [{ ...completion.choices[0]!, content: [{ type: 'reasoning', text: 'Let me think.', signature: 'sig==' }, ...completion.choices[0]!.content] }],
  };
  for (const format of ['openai', 'anthropic'] as const) {
    test(`${format}: a replayed stream and a replayed body read back to the stored completion`, () => {
      const expected = format === 'openai' ? completion : thinking;
      const id = format === 'openai' ? 'chatcmpl-x' : 'msg_x';
      const streamed = createAnswerCapture(format);
      streamed.push(replayCachedAnswer(expected, { ...context, id, format, stream: true }).body);
      const fromStream = streamed.endStream(undefined);
      const fromBody = createAnswerCapture(format).fromBody(replayCachedAnswer(expected, { ...context, id, format, stream: false }).body);
      for (const back of [fromStream, fromBody]) {
        assert.deepEqual(back?.completion.choices[0]?.content, expected.choices[0]!.content);
        assert.equal(back?.completion.choices[0]?.finishReason, 'tool_calls');
        assert.equal(back?.completion.usage?.completionTokens, usage.completionTokens);
        assert.equal(back?.body, undefined, 'a completion is stored neutral, never as bytes');
      }
    });
  }

  test('a content-filtered answer is not worth keeping', () => {
    const filtered: Completion = { ...completion, choices: [{ index: 0, content: [], finishReason: 'content_filter' }] };
    const body = replayCachedAnswer(filtered, { ...context, format: 'openai', stream: false }).body;
    assert.equal(createAnswerCapture('openai').fromBody(body), undefined);
  });
});

describe('memory store', () => {
  test('bounded in bytes, least recently used evicted first', () => {
    const store = new MemoryResponseCacheStore(4000);
    const answer = { completion, storedAt: 0 };
    for (const key of ['a', 'b', 'c', 'd']) {
      store.set(key, answer, 60_000);
      if (key === 'b') store.get('a');
    }
    assert.ok(store.size.bytes <= 4000);
    assert.ok(store.size.entries < 4, `${store.size.entries} entries`);
    assert.notEqual(store.get('d'), undefined, 'the newest stays');
    assert.equal(store.get('b'), undefined, 'the least recently used went first');
  });

  test('an entry expires after its TTL', () => {
    let now = 1000;
    const store = new MemoryResponseCacheStore(1 << 20, () => now);
    store.set('a', { completion, storedAt: 0 }, 60_000);
    now += 59_999;
    assert.notEqual(store.get('a'), undefined);
    now += 2;
    assert.equal(store.get('a'), undefined);
  });
});
