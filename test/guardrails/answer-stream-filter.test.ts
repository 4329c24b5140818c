import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AnswerStreamFilter } from '../../src/guardrails/answer-stream-filter.js';
import { AnswerTextChecker, type OutputViolation } from '../../src/guardrails/answer-text-checker.js';
import { createGuardrailPolicies, type Guardrail } from '../../src/guardrails/guardrail-policies.js';
import { PlaceholderVault } from '../../src/guardrails/placeholder-vault.js';
import { rewriteAnswerBody } from '../../src/guardrails/rewrite-answer-body.js';

const denyLists = createGuardrailPolicies({
  guardrails: { words: { type: 'deny_list', action: 'block', words: ['forbidden phrase'], patterns: ['secret-\\d{3}'], window: 64, hold_back: 0 } },
  models: { m: { guardrails: ['words'] } },
  keys: [],
}).forRequest('m', undefined) as Extract<Guardrail, { kind: 'deny_list' }>[];

const vault = new PlaceholderVault();
const placeholder = vault.placeholderFor('email', 'jane@example.com');

function filter(format: 'openai' | 'anthropic', lists = denyLists) {
  const violations: OutputViolation[] = [];
  return { violations, filter: new AnswerStreamFilter(format, { newChecker: () => new AnswerTextChecker(vault, lists), onViolation: (violation) => violations.push(violation) }) };
}

const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm' };
const openaiStream = (pieces: string[]) =>
  [
    ...pieces.map((content) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`),
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
    `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } })}\n\n`,
    'data: [DONE]\n\n',
  ].join('');

/** Content, finish reasons and usage of an OpenAI stream as the client reads it. */
function readOpenai(wire: string) {
  const chunks = wire.split('\n\n').filter((event) => event.startsWith('data: {')).map((event) => JSON.parse(event.slice(6)));
  return {
    text: chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''),
    finish: chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean),
    usage: chunks.filter((chunk) => chunk.usage).length,
    done: wire.endsWith('data: [DONE]\n\n'),
  };
}

/** Feeds `wire` to the filter split at `at` bytes. */
function run(target: AnswerStreamFilter, wire: Buffer, at: number): string {
  return target.push(wire.subarray(0, at), false).toString() + target.push(wire.subarray(at), true).toString();
}

describe('output guardrails on streams', () => {
  test('OpenAI: a placeholder split across deltas is restored, at every byte split of the wire', () => {
    const wire = Buffer.from(openaiStream(['Hi <EM', 'AIL_1> and <b', '>bye']));
    assert.equal(placeholder, '<EMAIL_1>');
    for (let at = 0; at <= wire.length; at += 1) {
      const read = readOpenai(run(filter('openai', []).filter, wire, at));
      assert.equal(read.text, 'Hi jane@example.com and <b>bye', `split at ${at}`);
      assert.deepEqual(read.finish, ['stop']);
      assert.ok(read.done);
    }
  });

  test('OpenAI: a deny-list match across chunks ends the answer with content_filter; usage and [DONE] still pass', () => {
    const wire = Buffer.from(openaiStream(['All fine. The forb', 'idden phrase is ', 'here', ' and more']));
    for (let at = 0; at <= wire.length; at += 7) {
      const { filter: target, violations } = filter('openai');
      const read = readOpenai(run(target, wire, at));
      assert.equal(read.text, 'All fine. The forb');
      assert.deepEqual(read.finish, ['content_filter']);
      assert.equal(read.usage, 1);
      assert.ok(read.done);
      assert.deepEqual(violations, [{ guardrail: 'words', detector: 'word', action: 'block' }]);
    }
  });

  test('OpenAI with a hold-back: no part of a match spanning chunks is ever delivered', () => {
    const held = createGuardrailPolicies({
      guardrails: { words: { type: 'deny_list', action: 'block', words: ['forbidden phrase'], patterns: [], window: 64, hold_back: 15 } },
      models: { m: { guardrails: ['words'] } },
      keys: [],
    }).forRequest('m', undefined) as Extract<Guardrail, { kind: 'deny_list' }>[];
    const wire = Buffer.from(openaiStream(['All fine. The forb', 'idden phrase is ', 'here']));
    for (let at = 0; at <= wire.length; at += 5) {
      const read = readOpenai(run(filter('openai', held).filter, wire, at));
      assert.equal(read.text, 'All', 'the last 15 characters were held back');
      assert.deepEqual(read.finish, ['content_filter']);
    }
    const clean = Buffer.from(openaiStream(['Nothing ', 'wrong with <EMAIL_1>', ' here']));
    assert.equal(readOpenai(run(filter('openai', held).filter, clean, 40)).text, 'Nothing wrong with jane@example.com here', 'the held text comes with the finish chunk');
  });

  test('Anthropic: placeholders restored and a pattern match ends with stop_reason refusal', () => {
    const events = (pieces: string[]) =>
      [
        ['message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'm', stop_reason: null, usage: { input_tokens: 3, output_tokens: 1 } } }],
        ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
        ...pieces.map((text) => ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }]),
        ['content_block_stop', { type: 'content_block_stop', index: 0 }],
        ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 9 } }],
        ['message_stop', { type: 'message_stop' }],
      ]
        .map(([type, data]) => `event: ${type as string}\ndata: ${JSON.stringify(data)}\n\n`)
        .join('');
    const read = (wire: string) => {
      const datas = wire.split('\n\n').filter(Boolean).map((event) => JSON.parse(event.split('\ndata: ')[1]!));
      return {
        text: datas.filter((data) => data.type === 'content_block_delta').map((data) => data.delta.text).join(''),
        stops: datas.filter((data) => data.type === 'content_block_stop').length,
        stopReason: datas.find((data) => data.type === 'message_delta')?.delta.stop_reason,
        usage: datas.find((data) => data.type === 'message_delta')?.usage.output_tokens,
        ended: datas.at(-1)?.type,
      };
    };
    const clean = Buffer.from(events(['Mail <EMAI', 'L_1> now <', 'EMAIL_1']));
    for (let at = 0; at <= clean.length; at += 1) {
      const out = read(run(filter('anthropic', []).filter, clean, at));
      assert.equal(out.text, 'Mail jane@example.com now <EMAIL_1', `split at ${at}`);
      assert.equal(out.stopReason, 'end_turn');
    }
    const { filter: target, violations } = filter('anthropic');
    const cut = read(run(target, Buffer.from(events(['code secr', 'et-123 is', ' here'])), 10));
    assert.equal(cut.text, 'code secr');
    assert.equal(cut.stops, 1);
    assert.equal(cut.stopReason, 'refusal');
    assert.equal(cut.usage, 9, 'the provider\'s usage still reaches the client');
    assert.equal(cut.ended, 'message_stop');
    assert.equal(violations[0]?.detector, 'pattern');
  });
});

describe('output guardrails leave untouched bytes alone', () => {
  const openaiChunk = (content: string) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

  test('a chunk with nothing restored, held back or cut comes back as the same Buffer (no body mutation)', () => {
    const { filter: target } = filter('openai');
    for (const content of ['Nothing', ' to restore <b> or', ' forbid here.']) {
      const chunk = Buffer.from(openaiChunk(content));
      assert.equal(target.push(chunk, false), chunk, content);
    }
    const anthropic = filter('anthropic').filter;
    for (const event of [
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Plain words"}}\n\n',
      'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}\n\n',
    ]) {
      const chunk = Buffer.from(event);
      assert.equal(anthropic.push(chunk, false), chunk, event);
    }
  });

  test('in a chunk where one event changes, the others keep the provider\'s bytes (spacing, escapes)', () => {
    const { filter: target } = filter('openai', []);
    const untouched = 'data: {"id": "c", "choices": [{"index": 0, "delta": {"content": "caf\\u00e9 "}, "finish_reason": null}]}\n\n';
    const chunk = Buffer.from(`${untouched}${openaiChunk(`mail ${placeholder}`)}data: [DONE]\n\n`);
    const out = target.push(chunk, true).toString();
    assert.ok(out.startsWith(untouched), out);
    assert.ok(out.endsWith('data: [DONE]\n\n'), out);
    assert.equal(readOpenai(out).text, 'café mail jane@example.com');
  });

  test('a restored placeholder, a held tail and a cut are changes: a new Buffer', () => {
    const { filter: target } = filter('openai');
    const restored = Buffer.from(openaiChunk(`to ${placeholder}`));
    assert.notEqual(target.push(restored, false), restored);
    const held = Buffer.from(openaiChunk('write to <EMA'));
    const heldOut = target.push(held, false);
    assert.notEqual(heldOut, held);
    assert.equal(readOpenai(heldOut.toString()).text, 'write to ');
    const cut = Buffer.from(openaiChunk('the forbidden phrase'));
    assert.deepEqual(readOpenai(target.push(cut, false).toString()).finish, ['content_filter']);
  });
});

describe('output guardrails on whole answers', () => {
  const checker = () => new AnswerTextChecker(vault, denyLists);
  test('OpenAI: restored, or emptied with content_filter', () => {
    const answer = (content: string) => Buffer.from(JSON.stringify({ id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
    const restored = JSON.parse(rewriteAnswerBody(answer(`To ${placeholder}`), 'openai', vault, checker, () => {})!.toString());
    assert.equal(restored.choices[0].message.content, 'To jane@example.com');
    const cut = JSON.parse(rewriteAnswerBody(answer('the Forbidden  Phrase'), 'openai', vault, checker, () => {})!.toString());
    assert.equal(cut.choices[0].message.content, '');
    assert.equal(cut.choices[0].finish_reason, 'content_filter');
  });

  test('Anthropic: tool_use input restored; a match empties the message with refusal', () => {
    const message = (text: string) => Buffer.from(JSON.stringify({ type: 'message', content: [{ type: 'text', text }, { type: 'tool_use', id: 't', name: 'f', input: { to: placeholder } }], stop_reason: 'tool_use' }));
    const restored = JSON.parse(rewriteAnswerBody(message('ok'), 'anthropic', vault, checker, () => {})!.toString());
    assert.deepEqual(restored.content[1].input, { to: 'jane@example.com' });
    const cut = JSON.parse(rewriteAnswerBody(message('see secret-999'), 'anthropic', vault, checker, () => {})!.toString());
    assert.deepEqual(cut.content, []);
    assert.equal(cut.stop_reason, 'refusal');
  });
});
