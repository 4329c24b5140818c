import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { anthropicAdapter } from '../../../src/providers/anthropic/anthropic-adapter.js';
import { AnthropicStreamTranslator } from '../../../src/providers/anthropic/anthropic-stream-translator.js';
import type { TranslationContext } from '../../../src/providers/provider-adapter.js';
import type { Usage } from '../../../src/providers/usage.js';
import { randomChunks, seededRandom } from '../../support/chunkings.js';

// Tests run compiled, from dist/test/providers/anthropic, four levels under the package root.
const FIXTURES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../test/fixtures/anthropic');
/** Anthropic streams in Anthropic's framing: `event: <type>\ndata: <json>\n\n`, no [DONE]. */
const fixture = (name: string): Buffer => readFileSync(resolve(FIXTURES, name));

const context = (includeUsage: boolean): TranslationContext => ({ responseId: 'chatcmpl-anthropic123', created: 1767225600, model: 'claude-alias', includeUsage });

interface RunResult {
  output: string;
  usage: Usage | undefined;
  model: string | undefined;
}

function run(chunks: Buffer[], includeUsage = true): RunResult {
  const translator = new AnthropicStreamTranslator(context(includeUsage));
  const output = Buffer.concat([...chunks.map((chunk) => translator.push(chunk)), translator.end()]);
  return { output: output.toString('utf8'), usage: translator.usage, model: translator.model };
}

/** The OpenAI events a stream became, parsed; `[DONE]` stays a string. */
function events(output: string): unknown[] {
  assert.ok(output === '' || output.endsWith('\n\n'), 'whole events only');
  return output
    .split('\n\n')
    .filter(Boolean)
    .map((event) => {
      assert.ok(event.startsWith('data: '), event);
      const data = event.slice('data: '.length);
      return data === '[DONE]' ? data : JSON.parse(data);
    });
}

/** The exact wire form OpenAI uses: one `data: <json>\n\n` per event. */
const wire = (expected: unknown[]): string => expected.map((event) => `data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`).join('');

/** Asserts exact bytes, and (for a readable failure) the parsed events first. */
function assertStream(output: string, expected: unknown[]): void {
  assert.deepEqual(events(output), expected);
  assert.equal(output, wire(expected));
}

const envelope = (model: string) => ({ id: 'chatcmpl-anthropic123', object: 'chat.completion.chunk', created: 1767225600, model });
const chunk = (model: string, delta: Record<string, unknown>, finishReason: string | null = null) => ({
  ...envelope(model),
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
});
const usageChunk = (model: string, usage: { prompt: number; completion: number; cached?: number; cacheWrite?: number; reasoning?: number }) => ({
  ...envelope(model),
  choices: [],
  usage: {
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.prompt + usage.completion,
    prompt_tokens_details: { cached_tokens: usage.cached ?? 0, ...(usage.cacheWrite ? { cache_write_tokens: usage.cacheWrite } : {}) },
    completion_tokens_details: { reasoning_tokens: usage.reasoning ?? 0 },
  },
});
const usage = (promptTokens: number, completionTokens: number, extra: Partial<Usage> = {}): Usage => ({
  promptTokens,
  completionTokens,
  totalTokens: promptTokens + completionTokens,
  cachedTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
  ...extra,
});
const ROLE = { role: 'assistant', content: '' };
const SONNET = 'claude-sonnet-4-5-20250929';
const HAIKU = 'claude-haiku-4-5-20251001';
const toolStart = (index: number, id: string, name: string) => ({ tool_calls: [{ index, id, type: 'function', function: { name, arguments: '' } }] });
const toolArguments = (index: number, fragment: string) => ({ tool_calls: [{ index, function: { arguments: fragment } }] });

const toCrlf = (bytes: Buffer): Buffer => Buffer.from(bytes.toString('utf8').replace(/\n/g, '\r\n'), 'utf8');
const withoutSpace = (bytes: Buffer): Buffer => Buffer.from(bytes.toString('utf8').replace(/^(event|data): /gm, '$1:'), 'utf8');

describe('AnthropicStreamTranslator', () => {
  test('text: role first, one chunk per text_delta, pings skipped, finish + usage + [DONE] at message_stop', () => {
    const result = run([fixture('text.sse')]);
    assertStream(result.output, [
      chunk(SONNET, ROLE),
      chunk(SONNET, { content: 'Hello' }),
      chunk(SONNET, { content: ', wörld 👋' }),
      chunk(SONNET, {}, 'stop'),
      usageChunk(SONNET, { prompt: 25, completion: 12 }),
      '[DONE]',
    ]);
    assert.deepEqual(result.usage, usage(25, 12));
    assert.equal(result.model, SONNET);
  });

  test('without include_usage there is no usage chunk, but usage is still metered', () => {
    const result = run([fixture('text.sse')], false);
    assertStream(result.output, [chunk(SONNET, ROLE), chunk(SONNET, { content: 'Hello' }), chunk(SONNET, { content: ', wörld 👋' }), chunk(SONNET, {}, 'stop'), '[DONE]']);
    assert.deepEqual(result.usage, usage(25, 12));
  });

  test('a tool call after text: index 0, id and name first, empty partial_json skipped, fragments as they come', () => {
    const result = run([fixture('tool-call.sse')]);
    assertStream(result.output, [
      chunk(HAIKU, ROLE),
      chunk(HAIKU, { content: 'Let me check the weather.' }),
      chunk(HAIKU, toolStart(0, 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', 'get_weather')),
      chunk(HAIKU, toolArguments(0, '{"city": "Pa')),
      chunk(HAIKU, toolArguments(0, 'ris", "unit": "celsius"}')),
      chunk(HAIKU, {}, 'tool_calls'),
      usageChunk(HAIKU, { prompt: 472, completion: 89 }),
      '[DONE]',
    ]);
  });

  test('parallel tool calls: Anthropic blocks 1 and 2 become OpenAI tool indices 0 and 1', () => {
    const result = run([fixture('parallel-tool-calls.sse')]);
    assertStream(result.output, [
      chunk(SONNET, ROLE),
      chunk(SONNET, { content: "I'll look up both cities." }),
      chunk(SONNET, toolStart(0, 'toolu_01AbCdEfGhParis', 'get_weather')),
      chunk(SONNET, toolArguments(0, '{"city": "Paris"}')),
      chunk(SONNET, toolStart(1, 'toolu_01IjKlMnOpTokyo', 'get_weather')),
      chunk(SONNET, toolArguments(1, '{"city":')),
      chunk(SONNET, toolArguments(1, ' "Tokyo"}')),
      chunk(SONNET, {}, 'tool_calls'),
      usageChunk(SONNET, { prompt: 618, completion: 121 }),
      '[DONE]',
    ]);
  });

  test('a tool without arguments (only partial_json "") gets arguments "{}" at its block stop', () => {
    const result = run([fixture('tool-no-args.sse')]);
    assertStream(result.output, [
      chunk(HAIKU, ROLE),
      chunk(HAIKU, { content: 'Checking the clock.' }),
      chunk(HAIKU, toolStart(0, 'toolu_01NoArgsCurrentTime', 'current_time')),
      chunk(HAIKU, toolArguments(0, '{}')),
      chunk(HAIKU, {}, 'tool_calls'),
      usageChunk(HAIKU, { prompt: 390, completion: 38 }),
      '[DONE]',
    ]);
  });

  test('a refusal with no content blocks: role, then finish_reason content_filter', () => {
    const result = run([fixture('refusal.sse')]);
    assertStream(result.output, [chunk(SONNET, ROLE), chunk(SONNET, {}, 'content_filter'), usageChunk(SONNET, { prompt: 31, completion: 0 }), '[DONE]']);
  });

  test('max_tokens reached: finish_reason length', () => {
    const model = 'claude-3-5-haiku-20241022';
    const result = run([fixture('max-tokens.sse')]);
    assertStream(result.output, [chunk(model, ROLE), chunk(model, { content: 'Once upon a' }), chunk(model, {}, 'length'), usageChunk(model, { prompt: 14, completion: 5 }), '[DONE]']);
  });

  test('a mid-stream error event: an OpenAI error event, then nothing (no finish, no [DONE]), whatever follows', () => {
    const trailing = Buffer.from('event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n');
    const translator = new AnthropicStreamTranslator(context(true));
    const output = Buffer.concat([translator.push(fixture('mid-stream-error.sse')), translator.push(trailing), translator.end()]).toString('utf8');
    assertStream(output, [
      chunk(SONNET, ROLE),
      chunk(SONNET, { content: 'The answer' }),
      { error: { message: 'Overloaded', type: 'server_error', param: null, code: 'overloaded_error' } },
    ]);
    assert.equal(output.includes('[DONE]'), false);
    assert.deepEqual(translator.usage, usage(20, 1), 'usage seen before the error is still metered');
  });

  test('usage revised in message_delta: input_tokens 43 -> 61, the last value counts', () => {
    const result = run([fixture('usage-revised.sse')]);
    assertStream(result.output, [chunk(SONNET, ROLE), chunk(SONNET, { content: 'Done.' }), chunk(SONNET, {}, 'stop'), usageChunk(SONNET, { prompt: 61, completion: 17 }), '[DONE]']);
    assert.deepEqual(result.usage, usage(61, 17));
  });

  test('cache reads and writes are part of the prompt; message_start values survive a message_delta that omits them', () => {
    const model = 'claude-opus-4-1-20250805';
    const result = run([fixture('cache.sse')]);
    // prompt = 12 input + 1500 cache creation + 3200 cache read.
    assertStream(result.output, [
      chunk(model, ROLE),
      chunk(model, { content: 'Section 4 covers termination.' }),
      chunk(model, {}, 'stop'),
      usageChunk(model, { prompt: 4712, completion: 9, cached: 3200, cacheWrite: 1500 }),
      '[DONE]',
    ]);
    assert.deepEqual(result.usage, usage(4712, 9, { cachedTokens: 3200, cacheWriteTokens: 1500 }));
  });

  test('long transcript: thinking as reasoning_content and one whole thinking block, unknown event types skipped, multi-byte text intact, thinking tokens reported', () => {
    const result = run([fixture('long.sse')]);
    const parsed = events(result.output);
    const text = parsed.map((event) => ((event as any).choices?.[0]?.delta?.content as string | undefined) ?? '').join('');
    assert.equal(
      text,
      'Vagues d’argent — 海の歌 — 🌊 the sea hums low,\nsalt on the wind, «ébène» and snow;\r\nwhere "quoted" gulls and \\backslashes\\ go,\nthe tide keeps time: ebb, flow, 🐚 … so.',
    );
    assert.ok(!text.includes('The user wants'), 'thinking text is never content');
    const reasoning = parsed.map((event) => ((event as any).choices?.[0]?.delta?.reasoning_content as string | undefined) ?? '').join('');
    assert.equal(reasoning, 'The user wants a short poem about the sea, then the tide table.');
    const blocks = parsed.flatMap((event) => ((event as any).choices?.[0]?.delta?.thinking_blocks as unknown[] | undefined) ?? []);
    assert.deepEqual(blocks, [
      { type: 'thinking', thinking: 'The user wants a short poem about the sea, then the tide table.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxJbcBh0Hp3k+gJMBQiMGiI2BRYlUZc3GwXyv0XxHs4h0lMI0W6vHg=' },
    ]);
    const argumentsText = parsed.map((event) => ((event as any).choices?.[0]?.delta?.tool_calls?.[0]?.function?.arguments as string | undefined) ?? '').join('');
    assert.deepEqual(JSON.parse(argumentsText), { port: 'Saint-Malo', days: 3, units: 'métres ✓' });
    assert.deepEqual(parsed.slice(-3), [
      chunk(SONNET, {}, 'tool_calls'),
      usageChunk(SONNET, { prompt: 3325, completion: 287, cached: 2048, cacheWrite: 256, reasoning: 64 }),
      '[DONE]',
    ]);
    assert.equal(result.output, wire(parsed));
  });

  test('thinking then a tool call: reasoning_content deltas, the signed block once at its end, a redacted block at its start, tool call indices from 0', () => {
    const sse = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const transcript = Buffer.from(
      [
        sse('message_start', { message: { model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 10, output_tokens: 1 } } }),
        sse('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
        sse('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'List the ' } }),
        sse('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'directory.' } }),
        sse('content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: 'sig==' } }),
        sse('content_block_stop', { index: 0 }),
        sse('content_block_start', { index: 1, content_block: { type: 'redacted_thinking', data: 'enc==' } }),
        sse('content_block_stop', { index: 1 }),
        sse('content_block_start', { index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'list_files', input: {} } }),
        sse('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{"dir":"."}' } }),
        sse('content_block_stop', { index: 2 }),
        sse('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 40, output_tokens_details: { thinking_tokens: 25 } } }),
        sse('message_stop', {}),
      ].join(''),
    );
    const model = 'claude-sonnet-4-5';
    assertStream(run([transcript], false).output, [
      chunk(model, ROLE),
      chunk(model, { reasoning_content: 'List the ' }),
      chunk(model, { reasoning_content: 'directory.' }),
      chunk(model, { thinking_blocks: [{ type: 'thinking', thinking: 'List the directory.', signature: 'sig==' }] }),
      chunk(model, { thinking_blocks: [{ type: 'redacted_thinking', data: 'enc==' }] }),
      chunk(model, { tool_calls: [{ index: 0, id: 'toolu_1', type: 'function', function: { name: 'list_files', arguments: '' } }] }),
      chunk(model, { tool_calls: [{ index: 0, function: { arguments: '{"dir":"."}' } }] }),
      chunk(model, {}, 'tool_calls'),
      '[DONE]',
    ]);
    assert.equal(run([transcript]).usage?.reasoningTokens, 25);
  });

  test('cut short (no message_stop): nothing invented, usage still reported', () => {
    const whole = fixture('tool-call.sse').toString('utf8');
    const cut = Buffer.from(whole.slice(0, whole.indexOf('event: message_stop')), 'utf8');
    const result = run([cut]);
    const parsed = events(result.output);
    assert.equal(parsed.length, 5, 'role, text, tool start and two argument fragments');
    assert.equal(result.output.includes('finish_reason":"'), false);
    assert.equal(result.output.includes('[DONE]'), false);
    assert.deepEqual(result.usage, usage(472, 89));
  });

  test('cut short: complete stays false and delivered holds the text, tool name, arguments and thinking sent', () => {
    const whole = fixture('tool-call.sse').toString('utf8');
    const translator = new AnthropicStreamTranslator(context(true));
    translator.push(Buffer.from(whole.slice(0, whole.indexOf('event: message_delta')), 'utf8'));
    translator.end();
    assert.equal(translator.complete, false);
    assert.equal(translator.delivered.text, 'Let me check the weather.get_weather{"city": "Paris", "unit": "celsius"}');
    assert.equal(translator.delivered.reasoning, '');
    // What Anthropic had reported by then: message_start's start value, not the running count.
    assert.equal(translator.usage?.completionTokens, 2);

    const thinking = new AnthropicStreamTranslator(context(false));
    thinking.push(
      Buffer.from(
        [
          '{"type":"message_start","message":{"model":"claude-x","usage":{"input_tokens":9,"output_tokens":1}}}',
          '{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}',
          '{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Two and two "}}',
          '{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"make four."}}',
          '{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}',
          '{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Four."}}',
        ]
          .map((data) => `event: x\ndata: ${data}\n\n`)
          .join(''),
      ),
    );
    assert.equal(thinking.delivered.reasoning, 'Two and two make four.');
    assert.equal(thinking.delivered.text, 'Four.');
  });

  test('complete once message_stop arrived; a mid-stream error leaves it incomplete', () => {
    const translator = new AnthropicStreamTranslator(context(false));
    translator.push(fixture('tool-call.sse'));
    translator.end();
    assert.equal(translator.complete, true);
    const failed = new AnthropicStreamTranslator(context(false));
    failed.push(fixture('mid-stream-error.sse'));
    failed.end();
    assert.equal(failed.complete, false);
    assert.ok(failed.delivered.text.length > 0, 'what came before the error is kept for counting');
  });

  test('an event cut in half at the end is discarded, not half-sent', () => {
    const whole = fixture('text.sse').toString('utf8');
    const cut = Buffer.from(whole.slice(0, whole.indexOf('wörld') + 3), 'utf8');
    const result = run([cut]);
    assertStream(result.output, [chunk(SONNET, ROLE), chunk(SONNET, { content: 'Hello' })]);
  });

  test('an unreadable event is reported as an error and ends the stream', () => {
    const result = run([Buffer.from('event: message_start\ndata: {"type":"message_start","message":{"model":"claude-x"}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"cut\n\n')]);
    assertStream(result.output, [
      chunk('claude-x', ROLE),
      { error: { message: 'The upstream provider sent a stream event the gateway could not read.', type: 'server_error', param: null, code: 'bad_upstream_response' } },
    ]);
  });

  test('the model falls back to the context model when message_start names none', () => {
    const result = run([Buffer.from('event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":3}}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n')], false);
    assertStream(result.output, [chunk('claude-alias', ROLE), chunk('claude-alias', {}, 'stop'), '[DONE]']);
    assert.equal(result.model, undefined);
    assert.deepEqual(result.usage, usage(3, 0));
  });

  test('the adapter creates a fresh translator per request', () => {
    const first = anthropicAdapter.createStreamTranslator(context(false));
    const second = anthropicAdapter.createStreamTranslator(context(false));
    assert.ok(first instanceof AnthropicStreamTranslator);
    assert.notEqual(first, second);
  });

  describe('chunking invariance', () => {
    test('a short transcript split into two chunks at every byte position gives identical bytes and usage', () => {
      for (const name of ['tool-no-args.sse', 'text.sse']) {
        const bytes = fixture(name);
        const reference = run([bytes]);
        for (let position = 0; position <= bytes.length; position++) {
          const split = run([bytes.subarray(0, position), bytes.subarray(position)]);
          assert.equal(split.output, reference.output, `${name} split at byte ${position}`);
          assert.deepEqual(split.usage, reference.usage, `${name} usage, split at byte ${position}`);
          assert.equal(split.model, reference.model);
        }
      }
    });

    test('a long transcript in 200 seeded random chunkings, and in CRLF and `data:`-without-space variants, gives identical bytes', () => {
      const bytes = fixture('long.sse');
      const reference = run([bytes]);
      assert.ok(reference.output.endsWith('data: [DONE]\n\n'));
      const variants = { lf: bytes, crlf: toCrlf(bytes), noSpace: withoutSpace(bytes), crlfNoSpace: toCrlf(withoutSpace(bytes)) };
      assert.notDeepEqual(variants.crlf, bytes);
      assert.notDeepEqual(variants.noSpace, bytes);
      for (const [variant, variantBytes] of Object.entries(variants)) {
        assert.equal(run([variantBytes]).output, reference.output, `${variant} whole`);
        for (let seed = 1; seed <= 200; seed++) {
          const random = seededRandom(seed);
          const chunks = randomChunks(variantBytes, random, 1 + Math.floor(random() * 96));
          const result = run(chunks);
          assert.equal(result.output, reference.output, `${variant}, seed ${seed}`);
          assert.deepEqual(result.usage, reference.usage, `${variant} usage, seed ${seed}`);
          assert.equal(result.model, reference.model);
        }
      }
    });

    test('one byte at a time', () => {
      const bytes = fixture('long.sse');
      const chunks = Array.from({ length: bytes.length }, (_, index) => bytes.subarray(index, index + 1));
      assert.equal(run(chunks).output, run([bytes]).output);
    });
  });
});
