import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { messagesThroughChat } from '../../src/endpoints/messages-through-chat.js';
import type { TranslationContext } from '../../src/providers/provider-adapter.js';
import { geminiAdapter } from '../../src/providers/gemini/gemini-adapter.js';
import { openAIAdapter } from '../../src/providers/openai/openai-adapter.js';
import { anthropicClientAnswering, ANY_REQUEST } from '../support/anthropic-sdk-client.js';
import { randomChunks, seededRandom } from '../support/chunkings.js';

const context: TranslationContext = { responseId: 'msg_gw1', created: 1, model: 'served-model', includeUsage: true };

/** An OpenAI stream (openai-openapi CreateChatCompletionStreamResponse): text with a multi-byte character, a tool call in fragments, the usage chunk. */
const envelope = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini-2025-01-01' };
const delta = (value: Record<string, unknown>, finish: string | null = null) =>
  `data: ${JSON.stringify({ ...envelope, choices: [{ index: 0, delta: value, logprobs: null, finish_reason: finish }], usage: null })}\n\n`;
const OPENAI_STREAM =
  delta({ role: 'assistant', content: '' }) +
  delta({ content: 'Ça va 👋' }) +
  delta({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }) +
  delta({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }) +
  delta({ tool_calls: [{ index: 0, function: { arguments: '"Zürich"}' } }] }) +
  delta({}, 'tool_calls') +
  `data: ${JSON.stringify({ ...envelope, choices: [], usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28, prompt_tokens_details: { cached_tokens: 5 } } })}\n\n` +
  'data: [DONE]\n\n';

/** A Gemini stream (ai.google.dev streamGenerateContent?alt=sse): text, then a function call with the finish and cumulative usage. */
const gemini = (body: Record<string, unknown>) => `data: ${JSON.stringify(body)}\r\n\r\n`;
const GEMINI_STREAM =
  gemini({ candidates: [{ content: { role: 'model', parts: [{ text: 'Ça va 👋' }] }, index: 0 }], usageMetadata: { promptTokenCount: 20, candidatesTokenCount: 3, totalTokenCount: 23 }, modelVersion: 'gemini-2.5-flash-001' }) +
  gemini({
    candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Zürich' } } }] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 20, candidatesTokenCount: 8, totalTokenCount: 28 },
    modelVersion: 'gemini-2.5-flash-001',
  });

/** Whole, one byte at a time (mid-line, mid-JSON, mid-UTF-8 character), and seeded random cuts. */
function chunkings(bytes: Buffer): Buffer[][] {
  const cuts = [[bytes], [...bytes].map((byte) => Buffer.from([byte]))];
  for (let seed = 1; seed <= 12; seed += 1) cuts.push(randomChunks(bytes, seededRandom(seed), 40));
  return cuts;
}

function translate(handling: ReturnType<typeof messagesThroughChat>, pieces: readonly Buffer[]) {
  const translator = handling.createStreamTranslator(context);
  const out = Buffer.concat([...pieces.map((piece) => translator.push(piece)), translator.end()]).toString('utf8');
  return { out, usage: translator.usage };
}

for (const [name, adapter, stream] of [
  ['an OpenAI-compatible', openAIAdapter, OPENAI_STREAM],
  ['a Gemini', geminiAdapter, GEMINI_STREAM],
] as const) {
  describe(`Messages answered by ${name} stream`, () => {
    const handling = messagesThroughChat(adapter);

    test('the same Anthropic events and usage whatever the chunking', () => {
      const whole = translate(handling, [Buffer.from(stream)]);
      assert.equal(whole.usage?.promptTokens, 20);
      assert.equal(whole.usage?.completionTokens, 8);
      for (const pieces of chunkings(Buffer.from(stream))) assert.deepEqual(translate(handling, pieces), whole);
    });

    test('the official Anthropic SDK reads the tool call, its input and the usage', async () => {
      const { out } = translate(handling, [Buffer.from(stream)]);
      const message = await anthropicClientAnswering(out, { headers: { 'content-type': 'text/event-stream' } }).messages.stream(ANY_REQUEST).finalMessage();
      assert.equal(message.id, 'msg_gw1');
      assert.equal(message.stop_reason, 'tool_use');
      assert.deepEqual(message.content[0], { type: 'text', text: 'Ça va 👋', citations: null });
      const call = message.content[1]!;
      assert.ok(call.type === 'tool_use');
      assert.equal(call.name, 'get_weather');
      assert.deepEqual(call.input, { city: 'Zürich' });
      assert.equal(message.usage.output_tokens, 8);
    });
  });
}

describe('Messages answered whole by an OpenAI-compatible provider', () => {
  const handling = messagesThroughChat(openAIAdapter);

  test('a completion becomes a Message, metered from the provider usage', () => {
    const body = Buffer.from(
      JSON.stringify({
        id: 'chatcmpl-2',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-4o-mini-2025-01-01',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hi.' }, finish_reason: 'length' }],
        usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
      }),
    );
    const translated = handling.translateResponse({ status: 200, headers: {}, body }, context);
    assert.equal(translated.usage?.totalTokens, 12);
    const message = JSON.parse(translated.body!.toString('utf8'));
    assert.equal(message.id, 'msg_gw1');
    assert.equal(message.model, 'gpt-4o-mini-2025-01-01');
    assert.deepEqual(message.content, [{ type: 'text', text: 'Hi.', citations: null }]);
    assert.equal(message.stop_reason, 'max_tokens');
  });

  test("a provider error keeps its status and gets Anthropic's error body", () => {
    const body = Buffer.from(JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } }));
    const translated = handling.translateResponse({ status: 429, headers: {}, body }, context);
    assert.deepEqual(JSON.parse(translated.body!.toString('utf8')), { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limit reached' } });
    assert.equal(translated.headers?.['content-type'], 'application/json');
  });

  test('a body that is not a completion is an api_error, not a made-up Message', () => {
    const translated = handling.translateResponse({ status: 200, headers: {}, body: Buffer.from('{"unexpected":true}') }, context);
    assert.equal(JSON.parse(translated.body!.toString('utf8')).error.type, 'api_error');
  });
});
