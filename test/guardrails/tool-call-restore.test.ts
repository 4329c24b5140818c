import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AnswerStreamFilter } from '../../src/guardrails/answer-stream-filter.js';
import { AnswerTextChecker } from '../../src/guardrails/answer-text-checker.js';
import { PlaceholderVault, StreamRestorer } from '../../src/guardrails/placeholder-vault.js';
import { rewriteAnswerBody } from '../../src/guardrails/rewrite-answer-body.js';

/**
 * Streamed tool-call arguments are JSON source: placeholders in them are restored with the
 * value JSON-escaped, per tool call, a placeholder split across deltas (at every position)
 * included, for both client formats.
 */
const vault = new PlaceholderVault();
const EMAIL = 'jane@example.com';
// A name an analyser found: quotes and a backslash must come back escaped inside the JSON string.
const NAME = 'Ann "Red" O\\Neil';
const email = vault.placeholderFor('email', EMAIL);
const name = vault.placeholderFor('person', NAME);

const filterFor = (format: 'openai' | 'anthropic') =>
  new AnswerStreamFilter(format, { newChecker: () => new AnswerTextChecker(vault, []), onViolation: () => {}, newArgumentRestorer: () => new StreamRestorer(vault, 'json') });

/** Arguments as the provider writes them (placeholders inside JSON strings), and as the client must read them. */
const first = `{"to":"${email}","cc":"<EMAIL_9>","name":"${name}"}`;
const second = `{"who":"${name}","note":"a <b> tag, ${email}"}`;
const expectedFirst = { to: EMAIL, cc: '<EMAIL_9>', name: NAME };
const expectedSecond = { who: NAME, note: `a <b> tag, ${EMAIL}` };

const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm' };
const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

/** An OpenAI stream of two tool calls whose argument deltas interleave: `first` split at `a`, `second` at `b`. */
function openaiToolStream(a: number, b: number): string {
  return [
    chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'send', arguments: '' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: first.slice(0, a) } }] }),
    chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'note', arguments: second.slice(0, b) } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: first.slice(a) } }] }),
    chunk({ tool_calls: [{ index: 1, function: { arguments: second.slice(b) } }] }),
    chunk({}, 'tool_calls'),
    `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } })}\n\n`,
    'data: [DONE]\n\n',
  ].join('');
}

/** Tool calls as the OpenAI SDK accumulates them: arguments concatenated per index. */
function readOpenaiToolCalls(wire: string) {
  const calls = new Map<number, { id?: string; name?: string; arguments: string }>();
  let finish: string | undefined;
  for (const event of wire.split('\n\n')) {
    if (!event.startsWith('data: {')) continue;
    const choice = JSON.parse(event.slice(6)).choices[0];
    if (choice === undefined) continue;
    for (const call of choice.delta?.tool_calls ?? []) {
      const known = calls.get(call.index) ?? { arguments: '' };
      known.id ??= call.id;
      known.name ??= call.function?.name;
      known.arguments += call.function?.arguments ?? '';
      calls.set(call.index, known);
    }
    finish ??= choice.finish_reason ?? undefined;
  }
  return { calls: [...calls.entries()].map(([index, call]) => ({ index, ...call, arguments: JSON.parse(call.arguments) })), finish };
}

/** Feeds `wire` to a new filter split at `at` bytes. */
function run(format: 'openai' | 'anthropic', wire: Buffer, at: number): string {
  const filter = filterFor(format);
  return filter.push(wire.subarray(0, at), false).toString() + filter.push(wire.subarray(at), true).toString();
}

describe('streamed tool-call arguments are restored', () => {
  test('JSON mode escapes the value; text mode does not', () => {
    assert.equal(vault.restoreJson(`"${name}"`), JSON.stringify(NAME));
    assert.equal(vault.restore(name), NAME);
    const restorer = new StreamRestorer(vault, 'json');
    assert.equal(restorer.push('{"a":"<PER') + restorer.push('SON_1>"}') + restorer.end(), JSON.stringify({ a: NAME }));
  });

  test('OpenAI: two interleaved tool calls, each split at every position of its arguments', () => {
    const expected = [
      { index: 0, id: 'call_a', name: 'send', arguments: expectedFirst },
      { index: 1, id: 'call_b', name: 'note', arguments: expectedSecond },
    ];
    for (let a = 0; a <= first.length; a += 1) {
      for (let b = 0; b <= second.length; b += 3) {
        const wire = Buffer.from(openaiToolStream(a, b));
        const filter = filterFor('openai');
        const read = readOpenaiToolCalls(filter.push(wire, true).toString());
        assert.deepEqual(read, { calls: expected, finish: 'tool_calls' }, `splits at ${a}, ${b}`);
      }
    }
  });

  test('OpenAI: the wire itself split at every byte', () => {
    const wire = Buffer.from(openaiToolStream(10, 7));
    for (let at = 0; at <= wire.length; at += 1) {
      const read = readOpenaiToolCalls(run('openai', wire, at));
      assert.deepEqual(read.calls.map((call) => call.arguments), [expectedFirst, expectedSecond], `split at ${at}`);
    }
  });

  test('OpenAI: a tail held at the end of a call goes out with the finish chunk', () => {
    // Not valid JSON at the end (a provider cut off mid-placeholder): what was held is still delivered.
    const filter = filterFor('openai');
    const out = filter.push(Buffer.from([chunk({ tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":"<EMAIL_' } }] }), chunk({}, 'length')].join('')), true).toString();
    const datas = out.split('\n\n').filter((event) => event.startsWith('data: {')).map((event) => JSON.parse(event.slice(6)).choices[0]);
    assert.equal(datas.map((choice) => choice.delta.tool_calls?.[0]?.function?.arguments ?? '').join(''), '{"a":"<EMAIL_');
    assert.equal(datas.at(-1).finish_reason, 'length');
  });

  const anthropicEvents = (a: number, b: number) =>
    [
      ['message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'm', stop_reason: null, usage: { input_tokens: 3, output_tokens: 1 } } }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: `Writing to ${email}` } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'send', input: {} } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: first.slice(0, a) } }],
      ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: first.slice(a) } }],
      ['content_block_stop', { type: 'content_block_stop', index: 1 }],
      ['content_block_start', { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_2', name: 'note', input: {} } }],
      ['content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: second.slice(0, b) } }],
      ['content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: second.slice(b) } }],
      ['content_block_stop', { type: 'content_block_stop', index: 2 }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } }],
      ['message_stop', { type: 'message_stop' }],
    ]
      .map(([type, data]) => `event: ${type as string}\ndata: ${JSON.stringify(data)}\n\n`)
      .join('');

  /** Each content block as the Anthropic SDK accumulates it: text joined, partial_json joined and parsed at its stop. */
  const readAnthropic = (wire: string) => {
    const blocks = new Map<number, { text: string; json: string; stopped: boolean }>();
    let stopReason: string | undefined;
    for (const event of wire.split('\n\n').filter(Boolean)) {
      const data = JSON.parse(event.split('\ndata: ')[1]!);
      const block = blocks.get(data.index) ?? { text: '', json: '', stopped: false };
      if (data.type === 'content_block_start') blocks.set(data.index, block);
      if (data.type === 'content_block_delta') {
        assert.ok(!block.stopped, 'no delta after its block stopped');
        block.text += data.delta.text ?? '';
        block.json += data.delta.partial_json ?? '';
      }
      if (data.type === 'content_block_stop') block.stopped = true;
      if (data.type === 'message_delta') stopReason = data.delta.stop_reason;
    }
    return { blocks: [...blocks.values()].map((block) => (block.json.length > 0 ? JSON.parse(block.json) : block.text)), stopReason };
  };

  test('Anthropic: input_json_delta restored per content block, split at every position', () => {
    for (let a = 0; a <= first.length; a += 1) {
      for (let b = 0; b <= second.length; b += 5) {
        const filter = filterFor('anthropic');
        const read = readAnthropic(filter.push(Buffer.from(anthropicEvents(a, b)), true).toString());
        assert.deepEqual(read, { blocks: [`Writing to ${EMAIL}`, expectedFirst, expectedSecond], stopReason: 'tool_use' }, `splits at ${a}, ${b}`);
      }
    }
  });

  test('Anthropic: the wire itself split at every byte', () => {
    const wire = Buffer.from(anthropicEvents(12, 9));
    for (let at = 0; at <= wire.length; at += 1) {
      assert.deepEqual(readAnthropic(run('anthropic', wire, at)).blocks, [`Writing to ${EMAIL}`, expectedFirst, expectedSecond], `split at ${at}`);
    }
  });

  test('whole OpenAI answers: tool arguments restored with escaping', () => {
    const answer = Buffer.from(JSON.stringify({ id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'x', type: 'function', function: { name: 'f', arguments: first } }] }, finish_reason: 'tool_calls' }] }));
    const rewritten = JSON.parse(rewriteAnswerBody(answer, 'openai', vault, () => new AnswerTextChecker(vault, []), () => {})!.toString());
    assert.deepEqual(JSON.parse(rewritten.choices[0].message.tool_calls[0].function.arguments), expectedFirst);
  });
});
