import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { geminiAdapter } from '../../../src/providers/gemini/gemini-adapter.js';
import { GeminiStreamTranslator } from '../../../src/providers/gemini/gemini-stream-translator.js';
import type { TranslationContext } from '../../../src/providers/provider-adapter.js';
import type { Usage } from '../../../src/providers/usage.js';
import { randomChunks, seededRandom, splitAt } from '../../support/chunkings.js';

// Works from test/ and from dist/test/ alike: both sit four levels under the package root.
const FIXTURES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../test/fixtures/gemini');
/** Recorded-shape Gemini streams, framed as Gemini frames them: `data: <json>\r\n\r\n`, no [DONE]. */
const fixture = (name: string): Buffer => readFileSync(resolve(FIXTURES, name));

const context = (includeUsage: boolean): TranslationContext => ({ responseId: 'chatcmpl-test123', created: 1767225600, model: 'gemini-alias', includeUsage });

function run(chunks: Buffer[], includeUsage = true): { output: string; usage: Usage | undefined; model: string | undefined } {
  const translator = new GeminiStreamTranslator(context(includeUsage));
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

const envelope = (model: string) => ({ id: 'chatcmpl-test123', object: 'chat.completion.chunk', created: 1767225600, model });
const chunk = (model: string, delta: Record<string, unknown>, finishReason: string | null = null, index = 0) => ({
  ...envelope(model),
  choices: [{ index, delta, logprobs: null, finish_reason: finishReason }],
});
const usageChunk = (model: string, prompt: number, completion: number, reasoning = 0, cached = 0) => ({
  ...envelope(model),
  choices: [],
  usage: {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: reasoning },
  },
});
const ROLE = { role: 'assistant', content: '' };
const G3 = 'gemini-3-flash-preview';
const G25 = 'gemini-2.5-flash';

/** Asserts exact bytes, and (for a readable failure) the parsed events first. */
function assertStream(output: string, expected: unknown[]): void {
  assert.deepEqual(events(output), expected);
  assert.equal(output, wire(expected));
}

describe('GeminiStreamTranslator', () => {
  test('text: role first, deltas as they come, finish + last cumulative usage + [DONE] at the end', () => {
    const result = run([fixture('text.sse')]);
    assertStream(result.output, [
      chunk(G3, ROLE),
      chunk(G3, { content: 'Bonjour ! ' }),
      chunk(G3, { content: 'Ça va très bien, merci 👋' }),
      chunk(G3, {}, 'stop'),
      usageChunk(G3, 11, 23),
      '[DONE]',
    ]);
    // Usage is cumulative in Gemini streams (candidates 5 -> 23): the last total counts.
    assert.deepEqual(result.usage, { promptTokens: 11, completionTokens: 23, totalTokens: 34, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    assert.equal(result.model, G3);
  });

  test('without include_usage there is no usage chunk, but usage is still metered', () => {
    const result = run([fixture('text.sse')], false);
    assertStream(result.output, [chunk(G3, ROLE), chunk(G3, { content: 'Bonjour ! ' }), chunk(G3, { content: 'Ça va très bien, merci 👋' }), chunk(G3, {}, 'stop'), '[DONE]']);
    assert.equal(result.usage?.totalTokens, 34);
  });

  test('content deltas are not held back: they leave with the chunk that completes them', () => {
    const translator = new GeminiStreamTranslator(context(true));
    const transcript = fixture('text.sse');
    const firstEventEnd = transcript.indexOf('\r\n\r\n') + 4;
    assertStream(translator.push(transcript.subarray(0, firstEventEnd)).toString('utf8'), [chunk(G3, ROLE), chunk(G3, { content: 'Bonjour ! ' })]);
    assert.equal(translator.usage?.completionTokens, 5);
  });

  test('a function call: one tool_calls delta with a deterministic id, the name and all arguments; thoughts are reasoning tokens', () => {
    const result = run([fixture('tool-call.sse')]);
    assertStream(result.output, [
      chunk(G3, ROLE),
      chunk(G3, { tool_calls: [{ index: 0, id: 'call_test123_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } }] }),
      chunk(G3, {}, 'tool_calls'),
      usageChunk(G3, 62, 76, 58),
      '[DONE]',
    ]);
    assert.equal(result.usage?.reasoningTokens, 58);
  });

  test('parallel function calls: OpenAI indices 0 and 1, finish_reason tool_calls', () => {
    assertStream(run([fixture('parallel-tool-calls.sse')]).output, [
      chunk(G25, ROLE),
      chunk(G25, { content: 'Checking both cities.' }),
      chunk(G25, {
        tool_calls: [
          { index: 0, id: 'call_test123_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { index: 1, id: 'call_test123_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"London"}' } },
        ],
      }),
      chunk(G25, {}, 'tool_calls'),
      usageChunk(G25, 70, 28),
      '[DONE]',
    ]);
  });

  test('a tool without arguments has arguments "{}"', () => {
    assertStream(run([fixture('tool-no-args.sse')], false).output, [
      chunk(G25, ROLE),
      chunk(G25, { tool_calls: [{ index: 0, id: 'call_test123_0', type: 'function', function: { name: 'get_time', arguments: '{}' } }] }),
      chunk(G25, {}, 'tool_calls'),
      '[DONE]',
    ]);
  });

  test('a function name escaped for Gemini comes back as the client declared it', () => {
    const event = Buffer.from(`data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: '_.3d_render', args: {} } }] }, finishReason: 'STOP', index: 0 }], modelVersion: G25 })}\r\n\r\n`);
    assertStream(run([event], false).output, [
      chunk(G25, ROLE),
      chunk(G25, { tool_calls: [{ index: 0, id: 'call_test123_0', type: 'function', function: { name: '3d_render', arguments: '{}' } }] }),
      chunk(G25, {}, 'tool_calls'),
      '[DONE]',
    ]);
  });

  test('SAFETY mid-answer finishes with content_filter', () => {
    assertStream(run([fixture('safety.sse')]).output, [chunk(G25, ROLE), chunk(G25, { content: 'Here is how' }), chunk(G25, {}, 'content_filter'), usageChunk(G25, 14, 3), '[DONE]']);
  });

  test('a blocked prompt is an empty answer finished by content_filter', () => {
    assertStream(run([fixture('prompt-blocked.sse')]).output, [chunk(G25, ROLE), chunk(G25, {}, 'content_filter'), usageChunk(G25, 9, 0), '[DONE]']);
  });

  test('MAX_TOKENS finishes with length; thinking tokens count as completion and reasoning', () => {
    const result = run([fixture('max-tokens.sse')]);
    assertStream(result.output, [chunk(G25, ROLE), chunk(G25, { content: 'The three' }), chunk(G25, { content: ' laws' }), chunk(G25, {}, 'length'), usageChunk(G25, 20, 64, 60), '[DONE]']);
    assert.deepEqual(result.usage, { promptTokens: 20, completionTokens: 64, totalTokens: 84, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 60 });
  });

  test('an error mid-stream becomes an OpenAI error event, and nothing follows it', () => {
    const translator = new GeminiStreamTranslator(context(true));
    const output = translator.push(fixture('mid-stream-error.sse')).toString('utf8');
    assertStream(output, [
      chunk(G25, ROLE),
      chunk(G25, { content: 'Once upon' }),
      { error: { message: 'The model is overloaded. Please try again later.', type: 'server_error', param: null, code: 'unavailable' } },
    ]);
    assert.equal(translator.push(Buffer.from('data: {"candidates":[{"content":{"parts":[{"text":"more"}]}}]}\r\n\r\n')).length, 0);
    assert.equal(translator.end().length, 0);
  });

  test('a stream cut off before any finishReason gets no finish chunk and no [DONE], so the client can tell', () => {
    const transcript = fixture('text.sse');
    const cut = transcript.subarray(0, transcript.lastIndexOf('data:') + 20);
    assertStream(run([cut]).output, [chunk(G3, ROLE), chunk(G3, { content: 'Bonjour ! ' }), chunk(G3, { content: 'Ça va très bien, merci 👋' })]);
  });

  test('cut off: complete stays false and delivered holds the text, thoughts and function calls sent', () => {
    const translator = new GeminiStreamTranslator(context(true));
    translator.push(
      Buffer.from(
        [
          '{"candidates":[{"content":{"parts":[{"text":"Let me think","thought":true}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":0,"thoughtsTokenCount":3},"modelVersion":"gemini-2.5-pro"}',
          '{"candidates":[{"content":{"parts":[{"text":"Sunny in "},{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}],"role":"model"},"index":0}],"modelVersion":"gemini-2.5-pro"}',
        ]
          .map((event) => `data: ${event}\r\n\r\n`)
          .join(''),
      ),
    );
    translator.end();
    assert.equal(translator.complete, false);
    assert.equal(translator.delivered.reasoning, 'Let me think');
    assert.equal(translator.delivered.text, 'Sunny in get_weather{"city":"Paris"}');
    assert.equal(translator.usage?.reasoningTokens, 3, 'the running total reported so far is kept');
  });

  test('complete once the upstream ended with a finishReason', () => {
    const translator = new GeminiStreamTranslator(context(false));
    translator.push(fixture('text.sse'));
    assert.equal(translator.complete, false, 'not before the upstream ended');
    translator.end();
    assert.equal(translator.complete, true);
    assert.equal(translator.delivered.text, 'Bonjour ! Ça va très bien, merci 👋');
  });

  test('thought parts are reasoning_content, never content; an unreadable event is reported as an error', () => {
    const thought = Buffer.from(
      [
        '{"candidates":[{"content":{"parts":[{"text":"Let me think","thought":true}],"role":"model"},"index":0}],"modelVersion":"gemini-2.5-pro"}',
        '{"candidates":[{"content":{"parts":[{"text":" harder.","thought":true},{"text":"42"}],"role":"model"},"finishReason":"STOP","index":0}],"modelVersion":"gemini-2.5-pro"}',
      ]
        .map((event) => `data: ${event}\r\n\r\n`)
        .join(''),
    );
    assertStream(run([thought], false).output, [
      chunk('gemini-2.5-pro', ROLE),
      chunk('gemini-2.5-pro', { reasoning_content: 'Let me think' }),
      chunk('gemini-2.5-pro', { reasoning_content: ' harder.', content: '42' }),
      chunk('gemini-2.5-pro', {}, 'stop'),
      '[DONE]',
    ]);
    assertStream(run([Buffer.from('data: {"candidates": [\r\n\r\n')], true).output, [
      { error: { message: 'The upstream provider sent a stream event the gateway could not read.', type: 'server_error', param: null, code: 'bad_upstream_response' } },
    ]);
  });

  test('several candidates: a role chunk and a finish chunk per choice, tool indices per choice', () => {
    const transcript = Buffer.from(
      [
        { candidates: [{ content: { parts: [{ text: 'A' }] }, index: 0 }, { content: { parts: [{ functionCall: { name: 'f', args: {} } }] }, index: 1 }] },
        { candidates: [{ content: { parts: [{ functionCall: { name: 'g', args: {} } }] }, index: 0, finishReason: 'STOP' }, { content: { parts: [{ text: '' }] }, index: 1, finishReason: 'STOP' }] },
      ]
        .map((event) => `data: ${JSON.stringify(event)}\r\n\r\n`)
        .join(''),
    );
    const model = 'gemini-alias';
    const call = (index: number, id: string, name: string) => ({ index, id, type: 'function', function: { name, arguments: '{}' } });
    assertStream(run([transcript], false).output, [
      chunk(model, ROLE, null, 0),
      chunk(model, { content: 'A' }, null, 0),
      chunk(model, ROLE, null, 1),
      chunk(model, { tool_calls: [call(0, 'call_test123_0', 'f')] }, null, 1),
      chunk(model, { tool_calls: [call(0, 'call_test123_1', 'g')] }, null, 0),
      chunk(model, {}, 'tool_calls', 0),
      chunk(model, {}, 'tool_calls', 1),
      '[DONE]',
    ]);
  });

  test('the adapter creates this translator', () => {
    assert.ok(geminiAdapter.createStreamTranslator(context(false)) instanceof GeminiStreamTranslator);
  });
});

describe('GeminiStreamTranslator chunking invariance', () => {
  const short = fixture('text.sse');
  const long = fixture('long.sse');

  test('the short transcript split at every byte position gives identical bytes and usage', () => {
    const expected = run([short]);
    for (let position = 0; position <= short.length; position += 1) {
      const result = run(splitAt(short, position));
      assert.equal(result.output, expected.output, `split at ${position}`);
      assert.deepEqual(result.usage, expected.usage, `split at ${position}`);
      assert.equal(result.model, expected.model, `split at ${position}`);
    }
    const bytes = [...short].map((byte) => Buffer.from([byte]));
    assert.equal(run(bytes).output, expected.output, 'one byte per chunk');
  });

  test('the long transcript under 200 seeded random chunkings gives identical bytes and usage', () => {
    const expected = run([long]);
    const parsed = events(expected.output);
    assert.equal(parsed.length, 1 + 20 + 1 + 1 + 1 + 1, 'role, 20 words, a tool call, finish, usage, [DONE]');
    assert.deepEqual(parsed.at(-4), chunk(G25, { tool_calls: [{ index: 0, id: 'call_test123_0', type: 'function', function: { name: 'save_story', arguments: '{"title":"Récit 🌍","tags":["naïf","日本"]}' } }] }));
    assert.deepEqual(parsed.at(-2), usageChunk(G25, 31, 40));
    const random = seededRandom(20260101);
    for (let round = 0; round < 200; round += 1) {
      const chunks = randomChunks(long, random, 1 + (round % 50));
      const result = run(chunks);
      assert.equal(result.output, expected.output, `round ${round}`);
      assert.deepEqual(result.usage, expected.usage, `round ${round}`);
    }
  });

  test('LF line ends, CRLF line ends and data: without a space give identical output', () => {
    for (const name of ['text.sse', 'long.sse', 'parallel-tool-calls.sse', 'mid-stream-error.sse']) {
      const original = fixture(name).toString('utf8');
      const expected = run([Buffer.from(original)]).output;
      const lf = original.replace(/\r\n/g, '\n');
      const crlf = lf.replace(/\n/g, '\r\n');
      const compact = original.replace(/^data: /gm, 'data:');
      for (const [label, variant, seed] of [
        ['LF', lf, 1],
        ['CRLF', crlf, 2],
        ['data: without space', compact, 3],
      ] as const) {
        assert.equal(run([Buffer.from(variant)]).output, expected, `${name} ${label}`);
        assert.equal(run(randomChunks(Buffer.from(variant), seededRandom(seed), 17)).output, expected, `${name} ${label}, random chunks`);
      }
    }
  });
});
