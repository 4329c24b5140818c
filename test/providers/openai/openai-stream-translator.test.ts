import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OpenAIStreamTranslator } from '../../../src/providers/openai/openai-stream-translator.js';
import type { TranslationContext } from '../../../src/providers/provider-adapter.js';
import { randomChunks, seededRandom, splitAt } from '../../support/chunkings.js';
import { streamEvents } from '../../support/mock-openai-upstream.js';

const context = (includeUsage: boolean): TranslationContext => ({ responseId: 'chatcmpl-x', created: 1, model: 'gpt', includeUsage });

function run(chunks: Buffer[], includeUsage: boolean) {
  const translator = new OpenAIStreamTranslator(context(includeUsage));
  const output = Buffer.concat([...chunks.map((chunk) => translator.push(chunk)), translator.end()]);
  return { output: output.toString('utf8'), usage: translator.usage, model: translator.model };
}

// The upstream always streams usage (the gateway asks for it); "héllo wörld 👋" puts multi-byte characters on chunk edges.
const transcript = Buffer.from(streamEvents('gpt-4o', true, ['héllo', ' wörld', ' 👋']).join(''));
const withoutUsageChunk = streamEvents('gpt-4o', true, ['héllo', ' wörld', ' 👋']).filter((event) => !event.includes('"choices":[]')).join('');

describe('OpenAIStreamTranslator', () => {
  test('complete once the usage chunk or [DONE] went by, on the fast path too; a cut stream is not', () => {
    const events = streamEvents('gpt-4o', false, ['a', 'b']);
    const whole = new OpenAIStreamTranslator(context(false));
    for (const event of events) whole.push(Buffer.from(event));
    assert.equal(whole.usage, undefined, 'a server that sends no usage');
    assert.equal(whole.complete, true, '[DONE] ended it');
    assert.equal(whole.delivered, undefined);
    const cut = new OpenAIStreamTranslator(context(false));
    for (const event of events.slice(0, -2)) cut.push(Buffer.from(event));
    cut.end();
    assert.equal(cut.complete, false);
  });

  test('passes events through and keeps the usage chunk when the client asked for it', () => {
    const result = run([transcript], true);
    assert.equal(result.output, transcript.toString('utf8'));
    assert.deepEqual(result.usage, { promptTokens: 11, completionTokens: 7, totalTokens: 18, cachedTokens: 3, cacheWriteTokens: 0, reasoningTokens: 2 });
    assert.equal(result.model, 'gpt-4o-2025-01-01');
  });

  test('removes the usage chunk the client did not ask for, but still meters it', () => {
    const result = run([transcript], false);
    assert.equal(result.output, withoutUsageChunk);
    assert.equal(result.usage?.totalTokens, 18);
  });

  test('output and usage do not depend on where the stream is cut: every split point', () => {
    const expected = run([transcript], false);
    for (let position = 0; position <= transcript.length; position += 1) {
      const result = run(splitAt(transcript, position), false);
      assert.equal(result.output, expected.output, `split at ${position}`);
      assert.deepEqual(result.usage, expected.usage, `split at ${position}`);
    }
  });

  test('random chunkings, CRLF line ends and data: without a space give the same events', () => {
    const expected = run([transcript], true).output;
    const random = seededRandom(7);
    for (let round = 0; round < 200; round += 1) assert.equal(run(randomChunks(transcript, random, 40), true).output, expected, `round ${round}`);
    const crlf = Buffer.from(transcript.toString('utf8').replace(/\n/g, '\r\n'));
    assert.equal(run(randomChunks(crlf, seededRandom(8), 30), true).output, expected);
    const compact = Buffer.from(transcript.toString('utf8').replace(/^data: /gm, 'data:'));
    assert.equal(run(randomChunks(compact, seededRandom(9), 30), true).output, expected);
  });

  test('an event cut off by the end of the stream is dropped, as the SSE specification requires', () => {
    const result = run([Buffer.from('data: {"id":"a","model":"m","choices":[{"delta":{"content":"x"}}]}\n\ndata: {"id":"a","mod')], true);
    assert.equal(result.output, 'data: {"id":"a","model":"m","choices":[{"delta":{"content":"x"}}]}\n\n');
  });

  test('a mid-stream error event passes through for the SDK to raise', () => {
    const error = 'data: {"error":{"message":"overloaded","type":"server_error","param":null,"code":null}}\n\n';
    assert.equal(run([Buffer.from(error)], false).output, error);
  });

  test('whole canonical events without usage go back as the very same buffer (no parse, no copy)', () => {
    const events = streamEvents('gpt-4o', true).map((event) => Buffer.from(event));
    const translator = new OpenAIStreamTranslator(context(false));
    translator.push(events[0]!); // the first chunk is parsed: it names the model
    for (const event of events.slice(1, -2)) assert.equal(translator.push(event), event, 'content chunks pass through untouched');
    const usage = events.at(-2)!;
    assert.notEqual(translator.push(usage), usage, 'the usage chunk is still read (and removed: not asked for)');
    assert.equal(translator.usage?.totalTokens, 18);
    const split = Buffer.from('data: {"id":"x","model":"m","choices":[{"delta":{"content":"a"}}]}\n');
    assert.notEqual(translator.push(split), split, 'an unfinished event takes the parser');
  });
});
