import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { APIError, type Anthropic } from '@anthropic-ai/sdk';
import { MessagesStreamWriter } from '../../../src/api/anthropic-messages/messages-stream-writer.js';
import type { StreamPart } from '../../../src/model/stream-part.js';
import type { Usage } from '../../../src/model/usage.js';
import { ANY_REQUEST, anthropicClientAnswering } from '../../support/anthropic-sdk-client.js';

const context = { id: 'msg_gw_1', model: 'claude-sonnet-4-6' };

function write(parts: StreamPart[]): string {
  return new MessagesStreamWriter(context).write(parts);
}

/** One SSE event as Anthropic frames it. */
function event(data: Record<string, unknown>): string {
  return `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`;
}

const zeroUsage = {
  input_tokens: 0,
  output_tokens: 0,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  cache_creation: null,
  server_tool_use: null,
  service_tier: null,
  inference_geo: null,
  speed: null,
  output_tokens_details: null,
};

function messageStart(model = 'claude-sonnet-4-6'): string {
  return event({
    type: 'message_start',
    message: {
      id: 'msg_gw_1',
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      stop_details: null,
      container: null,
      diagnostics: null,
      usage: zeroUsage,
    },
  });
}

const textStart = (index: number) => event({ type: 'content_block_start', index, content_block: { type: 'text', text: '', citations: null } });
const textDelta = (index: number, text: string) => event({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
const blockStop = (index: number) => event({ type: 'content_block_stop', index });

function messageDelta(stopReason: string, usage: { input: number; output: number; cacheRead?: number; cacheWrite?: number; thinking?: number }, stopSequence: string | null = null): string {
  return event({
    type: 'message_delta',
    delta: { stop_reason: stopReason, stop_sequence: stopSequence, stop_details: null, container: null },
    usage: {
      input_tokens: usage.input,
      cache_creation_input_tokens: usage.cacheWrite ?? 0,
      cache_read_input_tokens: usage.cacheRead ?? 0,
      output_tokens: usage.output,
      output_tokens_details: usage.thinking ? { thinking_tokens: usage.thinking } : null,
      server_tool_use: null,
    },
  });
}

const MESSAGE_STOP = event({ type: 'message_stop' });

function usage(prompt: number, completion: number, extra: Partial<Usage> = {}): StreamPart {
  return { type: 'usage', usage: { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, ...extra } };
}

/** What the official SDK's stream accumulator makes of the bytes: the final Message, or what it throws. */
async function sdkFinalMessage(sse: string): Promise<Anthropic.Message> {
  const client = anthropicClientAnswering(sse, { headers: { 'content-type': 'text/event-stream' } });
  return client.messages.stream(ANY_REQUEST).finalMessage();
}

/** The raw events the SDK's stream parser yields for the bytes. */
async function sdkEvents(sse: string): Promise<Anthropic.RawMessageStreamEvent[]> {
  const client = anthropicClientAnswering(sse, { headers: { 'content-type': 'text/event-stream' } });
  const events: Anthropic.RawMessageStreamEvent[] = [];
  for await (const streamEvent of await client.messages.create({ ...ANY_REQUEST, stream: true })) events.push(streamEvent);
  return events;
}

describe('MessagesStreamWriter', () => {
  test('text: message_start, one text block, message_delta and message_stop', async () => {
    const sse = write([{ type: 'start', model: 'gpt-5' }, { type: 'text-delta', text: 'Hel' }, { type: 'text-delta', text: 'lo' }, usage(12, 3), { type: 'finish', reason: 'stop' }]);
    assert.equal(
      sse,
      messageStart('gpt-5') + textStart(0) + textDelta(0, 'Hel') + textDelta(0, 'lo') + blockStop(0) + messageDelta('end_turn', { input: 12, output: 3 }) + MESSAGE_STOP,
    );
    const message = await sdkFinalMessage(sse);
    assert.deepEqual(message.content, [{ type: 'text', text: 'Hello', citations: null }]);
    assert.equal(message.model, 'gpt-5');
    assert.equal(message.stop_reason, 'end_turn');
    assert.deepEqual([message.usage.input_tokens, message.usage.output_tokens], [12, 3]);
  });

  test('tool calls: arguments streamed in fragments, a call without arguments, indices per block', async () => {
    const sse = write([
      { type: 'start' },
      { type: 'tool-call-start', index: 0, id: 'call_a', name: 'get_weather' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"ci' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: 'ty":"Par' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: 'is"}' },
      { type: 'tool-call-end', index: 0 },
      { type: 'tool-call-start', index: 1, id: 'call_b', name: 'now' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '' },
      { type: 'tool-call-end', index: 1 },
      usage(20, 9),
      { type: 'finish', reason: 'tool_calls' },
    ]);
    const toolStart = (index: number, id: string, name: string) =>
      event({ type: 'content_block_start', index, content_block: { type: 'tool_use', id, name, input: {}, caller: { type: 'direct' } } });
    const jsonDelta = (index: number, partial: string) => event({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: partial } });
    assert.equal(
      sse,
      messageStart() +
        toolStart(0, 'call_a', 'get_weather') +
        jsonDelta(0, '{"ci') +
        jsonDelta(0, 'ty":"Par') +
        jsonDelta(0, 'is"}') +
        blockStop(0) +
        toolStart(1, 'call_b', 'now') +
        blockStop(1) +
        messageDelta('tool_use', { input: 20, output: 9 }) +
        MESSAGE_STOP,
    );
    const message = await sdkFinalMessage(sse);
    assert.deepEqual(message.content, [
      { type: 'tool_use', id: 'call_a', name: 'get_weather', input: { city: 'Paris' }, caller: { type: 'direct' } },
      { type: 'tool_use', id: 'call_b', name: 'now', input: {}, caller: { type: 'direct' } },
    ]);
    assert.equal(message.stop_reason, 'tool_use');
  });

  test('thinking with its signature, then text', async () => {
    const sse = write([
      { type: 'reasoning-delta', text: 'Let me ' },
      { type: 'reasoning-delta', text: 'think.' },
      { type: 'reasoning-signature', signature: 'EqQBCgIYAh' },
      { type: 'text-delta', text: 'Done.' },
      { type: 'finish', reason: 'stop' },
    ]);
    assert.equal(
      sse,
      messageStart() +
        event({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }) +
        event({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Let me ' } }) +
        event({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'think.' } }) +
        event({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAh' } }) +
        blockStop(0) +
        textStart(1) +
        textDelta(1, 'Done.') +
        blockStop(1) +
        messageDelta('end_turn', { input: 0, output: 0 }) +
        MESSAGE_STOP,
    );
    const message = await sdkFinalMessage(sse);
    assert.deepEqual(message.content, [
      { type: 'thinking', thinking: 'Let me think.', signature: 'EqQBCgIYAh' },
      { type: 'text', text: 'Done.', citations: null },
    ]);
  });

  test('reasoning after a signature starts a new thinking block; redacted thinking is a block of its own', async () => {
    const sse = write([
      { type: 'reasoning-delta', text: 'one' },
      { type: 'reasoning-signature', signature: 's1' },
      { type: 'redacted-reasoning', data: 'opaque' },
      { type: 'reasoning-delta', text: 'two' },
      { type: 'reasoning-signature', signature: 's2' },
      { type: 'finish', reason: 'stop' },
    ]);
    const message = await sdkFinalMessage(sse);
    assert.deepEqual(message.content, [
      { type: 'thinking', thinking: 'one', signature: 's1' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'thinking', thinking: 'two', signature: 's2' },
    ]);
    const starts = (await sdkEvents(sse)).filter((streamEvent) => streamEvent.type === 'content_block_start').map((streamEvent) => streamEvent.index);
    assert.deepEqual(starts, [0, 1, 2]);
  });

  test('text -> tool_use -> text gives blocks 0, 1 and 2, each closed before the next opens', async () => {
    const sse = write([
      { type: 'text-delta', text: 'Let me check.' },
      { type: 'tool-call-start', index: 0, id: 'call_1', name: 'lookup' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"q":"x"}' },
      { type: 'tool-call-end', index: 0 },
      { type: 'text-delta', text: 'And more.' },
      { type: 'finish', reason: 'tool_calls' },
    ]);
    const events = await sdkEvents(sse);
    assert.deepEqual(
      events.map((streamEvent) => `${streamEvent.type}${'index' in streamEvent ? ` ${streamEvent.index}` : ''}`),
      [
        'message_start',
        'content_block_start 0',
        'content_block_delta 0',
        'content_block_stop 0',
        'content_block_start 1',
        'content_block_delta 1',
        'content_block_stop 1',
        'content_block_start 2',
        'content_block_delta 2',
        'content_block_stop 2',
        'message_delta',
        'message_stop',
      ],
    );
    const message = await sdkFinalMessage(sse);
    assert.deepEqual(
      message.content.map((block) => block.type),
      ['text', 'tool_use', 'text'],
    );
  });

  test('an error mid-stream: an error event, and nothing after it', async () => {
    const writer = new MessagesStreamWriter(context);
    const sse =
      writer.write([{ type: 'start' }, { type: 'text-delta', text: 'Partial' }]) +
      writer.write([
        { type: 'error', failure: { status: 503, kind: 'overloaded', message: 'Overloaded' } },
        { type: 'text-delta', text: 'ignored' },
        { type: 'finish', reason: 'stop' },
      ]);
    assert.equal(sse, messageStart() + textStart(0) + textDelta(0, 'Partial') + event({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
    assert.equal(writer.ended, true);
    assert.equal(writer.write([{ type: 'finish', reason: 'stop' }]), '');
    await assert.rejects(sdkFinalMessage(sse), (error: unknown) => {
      assert.ok(error instanceof APIError);
      assert.equal(error.type, 'overloaded_error');
      return true;
    });
  });

  test('an error before anything else is the only event', () => {
    assert.equal(
      write([{ type: 'error', failure: { status: 429, kind: 'rate_limit', message: 'Slow down' } }]),
      event({ type: 'error', error: { type: 'rate_limit_error', message: 'Slow down' } }),
    );
  });

  test('a stream cut off (no finish): no content_block_stop or message_stop is invented, and the SDK reports it', async () => {
    const sse = write([{ type: 'start' }, { type: 'text-delta', text: 'Half a sen' }, usage(5, 2)]);
    assert.equal(sse, messageStart() + textStart(0) + textDelta(0, 'Half a sen'));
    await assert.rejects(sdkFinalMessage(sse), /stream ended without producing a Message/);
  });

  test('usage revised at the end: the last counts win, split as Anthropic counts them', async () => {
    const sse = write([
      usage(10, 0),
      { type: 'text-delta', text: 'x' },
      usage(12, 4),
      usage(120, 7, { cachedTokens: 80, cacheWriteTokens: 30, reasoningTokens: 3 }),
      { type: 'finish', reason: 'length' },
    ]);
    const startUsage = { ...zeroUsage, input_tokens: 10 };
    assert.ok(sse.startsWith(messageStart().replace(JSON.stringify(zeroUsage), JSON.stringify(startUsage))), 'message_start carries the usage known so far');
    assert.ok(sse.endsWith(messageDelta('max_tokens', { input: 10, output: 7, cacheRead: 80, cacheWrite: 30, thinking: 3 }) + MESSAGE_STOP));
    const message = await sdkFinalMessage(sse);
    assert.deepEqual(
      {
        input: message.usage.input_tokens,
        output: message.usage.output_tokens,
        read: message.usage.cache_read_input_tokens,
        write: message.usage.cache_creation_input_tokens,
        thinking: message.usage.output_tokens_details?.thinking_tokens,
      },
      { input: 10, output: 7, read: 80, write: 30, thinking: 3 },
    );
    assert.equal(message.stop_reason, 'max_tokens');
  });

  test('a finish with a stop sequence reports it', async () => {
    const sse = write([{ type: 'text-delta', text: 'one two' }, { type: 'finish', reason: 'stop_sequence', stopSequence: 'three' }]);
    const message = await sdkFinalMessage(sse);
    assert.equal(message.stop_reason, 'stop_sequence');
    assert.equal(message.stop_sequence, 'three');
  });

  test('a refusal with no content: message_start, message_delta, message_stop', async () => {
    const sse = write([{ type: 'start' }, { type: 'finish', reason: 'content_filter' }]);
    assert.equal(sse, messageStart() + messageDelta('refusal', { input: 0, output: 0 }) + MESSAGE_STOP);
    const message = await sdkFinalMessage(sse);
    assert.deepEqual(message.content, []);
    assert.equal(message.stop_reason, 'refusal');
  });

  test('parts split across calls give the same bytes as in one call', () => {
    const parts: StreamPart[] = [
      { type: 'start' },
      { type: 'reasoning-delta', text: 'a' },
      { type: 'text-delta', text: 'b' },
      { type: 'tool-call-start', index: 0, id: 'c', name: 'f' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{}' },
      { type: 'tool-call-end', index: 0 },
      usage(3, 2),
      { type: 'finish', reason: 'tool_calls' },
    ];
    const whole = write(parts);
    const writer = new MessagesStreamWriter(context);
    assert.equal(parts.map((part) => writer.write([part])).join(''), whole);
  });

  test('a second start, and empty text or reasoning, add nothing', () => {
    const writer = new MessagesStreamWriter(context);
    const first = writer.write([{ type: 'start' }]);
    assert.equal(first, messageStart());
    assert.equal(writer.write([{ type: 'start', model: 'other' }, { type: 'text-delta', text: '' }, { type: 'reasoning-delta', text: '' }]), '');
  });

  test('a delta for a tool call that is not the open block is dropped, not put in another block', async () => {
    const sse = write([
      { type: 'tool-call-start', index: 0, id: 'a', name: 'f' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"x":1}' },
      { type: 'tool-call-delta', index: 5, argumentsDelta: '{"y":2}' },
      { type: 'tool-call-end', index: 5 },
      { type: 'tool-call-end', index: 0 },
      { type: 'finish', reason: 'tool_calls' },
    ]);
    const message = await sdkFinalMessage(sse);
    assert.deepEqual(message.content, [{ type: 'tool_use', id: 'a', name: 'f', input: { x: 1 }, caller: { type: 'direct' } }]);
  });

  test('text with quotes, newlines and non-ASCII stays one JSON string per event', async () => {
    const text = 'He said "hi"\nthen\tleft — 你好 \u2028';
    const sse = write([{ type: 'text-delta', text }, { type: 'finish', reason: 'stop' }]);
    const message = await sdkFinalMessage(sse);
    assert.deepEqual(message.content, [{ type: 'text', text, citations: null }]);
  });
});
