import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { get_encoding } from 'tiktoken';
import { gate } from '../support/faults.js';
import { PACKAGE_ROOT, startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { startReplayUpstream, type ReplayUpstream, type StreamEnding } from '../support/replay-upstream.js';

/**
 * A translated stream that ends without the provider's totals is metered by what it
 * delivered, counted with the gateway's tokenizer (o200k), never below what the provider
 * had reported: for every way a stream ends early, through the real Envoy.
 */
const ANTHROPIC_KEY = 'sk-ant-cut-short';
const GEMINI_KEY = 'AIza-cut-short';
const encoding = get_encoding('o200k_base');
const tokens = (text: string) => encoding.encode_ordinary(text).length;
const fixture = (path: string) => readFileSync(resolve(PACKAGE_ROOT, 'test/fixtures', path), 'utf8');

/** Anthropic's long recorded stream (thinking, text, a tool call) cut after its last delta: no message_delta, no message_stop. */
const anthropicWhole = fixture('anthropic/long.sse');
const anthropicCut = anthropicWhole.slice(0, anthropicWhole.indexOf('event: message_delta'));
/** Gemini's long recorded stream without its last event (the one with finishReason and the final totals). */
const geminiWhole = fixture('gemini/long.sse');
const geminiCut = geminiWhole.slice(0, geminiWhole.lastIndexOf('data: '));

/** What the client saw, as the gateway counts it: text, tool names and arguments, and reasoning apart. */
interface Seen {
  text: string;
  reasoning: string;
  events: number;
}

describe('cut-short translated streams are metered by what they delivered', () => {
  let anthropic: ReplayUpstream;
  let gemini: ReplayUpstream;
  let gateway: GatewayHarness;
  let client: OpenAI;

  before(async () => {
    anthropic = await startReplayUpstream({ kind: 'anthropic', expectedKey: ANTHROPIC_KEY });
    gemini = await startReplayUpstream({ kind: 'gemini', expectedKey: GEMINI_KEY });
    gateway = await startGateway({
      providers: {
        anthropic: { kind: 'anthropic', base_url: `http://127.0.0.1:${anthropic.port}/v1`, credential: { env: 'ANTHROPIC_API_KEY' } },
        gemini: { kind: 'gemini', base_url: `http://127.0.0.1:${gemini.port}/v1beta`, credential: { env: 'GEMINI_API_KEY' } },
      },
      models: {
        claude: { provider: 'anthropic', model: 'claude-sonnet-4-5' },
        gemini: { provider: 'gemini', model: 'gemini-2.5-flash' },
      },
      environment: { ANTHROPIC_API_KEY: ANTHROPIC_KEY, GEMINI_API_KEY: GEMINI_KEY },
      // A stalled stream is abandoned after this long: the idle-timeout ending.
      resilience: { per_try_idle_timeout: '1s' },
    });
    client = new OpenAI({ apiKey: 'sk-client', baseURL: gateway.baseURL, maxRetries: 0 });
  });

  after(async () => {
    await gateway?.stop();
    await Promise.all([anthropic?.close(), gemini?.close()]);
    assert.deepEqual([...(anthropic?.problems ?? []), ...(gemini?.problems ?? [])], [], 'every request met the provider rules');
  });

  const requestLines = () => gateway.sidecarLogLines().filter((line) => line.event === 'request');

  /**
   * Streams a request, reading until `stopWhen` says the client has everything, then runs
   * `then` (abort, or let the upstream reset); returns what the client saw.
   */
  async function streamUntil(model: string, stopWhen: (seen: Seen) => boolean, then: (abort: () => void) => void): Promise<Seen> {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model, max_tokens: 1024, messages: [{ role: 'user', content: 'A short poem about the sea, then the tide table for Saint-Malo.' }], stream: true },
      { signal: controller.signal },
    );
    const seen: Seen = { text: '', reasoning: '', events: 0 };
    let stopped = false;
    try {
      for await (const chunk of stream) {
        seen.events += 1;
        const delta = chunk.choices[0]?.delta as (OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string }) | undefined;
        seen.text += delta?.content ?? '';
        seen.reasoning += delta?.reasoning_content ?? '';
        for (const call of delta?.tool_calls ?? []) seen.text += (call.function?.name ?? '') + (call.function?.arguments ?? '');
        if (!stopped && stopWhen(seen)) {
          stopped = true;
          then(() => controller.abort());
        }
      }
    } catch {
      // The stream ends in an error for the resets, aborts and timeouts: what matters is what arrived.
    }
    return seen;
  }

  async function meteredLine(model: string, linesBefore: number): Promise<Record<string, unknown>> {
    await waitFor(`the ${model} log line`, () => requestLines().length > linesBefore, () => gateway.sidecarLogs());
    const line = requestLines().at(-1)!;
    assert.equal(line.model, model);
    assert.equal(line.outcome, 'cut_short');
    assert.equal(line.usage_estimated, true);
    return line;
  }

  // Everything the cut Anthropic transcript carries, as the client must end up seeing it.
  const anthropicText = () => {
    let text = '';
    let reasoning = '';
    for (const match of anthropicCut.matchAll(/^data: (.*)$/gm)) {
      const event = JSON.parse(match[1]!) as { type: string; delta?: Record<string, string>; content_block?: Record<string, string> };
      if (event.type === 'content_block_start' && event.content_block?.type === 'tool_use') text += event.content_block.name;
      if (event.delta?.type === 'text_delta') text += event.delta.text;
      if (event.delta?.type === 'input_json_delta') text += event.delta.partial_json;
      if (event.delta?.type === 'thinking_delta') reasoning += event.delta.thinking;
    }
    return { text, reasoning };
  };

  const endings: [string, (done: ReturnType<typeof gate>) => StreamEnding, (abort: () => void, done: ReturnType<typeof gate>) => void][] = [
    ['the upstream closes the stream without its totals', () => ({ kind: 'close' }), () => {}],
    ['the upstream connection is reset', (done) => ({ kind: 'reset', after: done }), (_abort, done) => done.open()],
    ['the client goes away', () => ({ kind: 'stall' }), (abort) => abort()],
    ['the stream stalls until the idle timeout', () => ({ kind: 'stall' }), () => {}],
  ];

  for (const [ending, upstreamEnding, clientAction] of endings) {
    test(`Anthropic, cut after its last delta, ${ending}: output is the tokenizer's count of what was delivered`, async () => {
      const expected = anthropicText();
      const done = gate();
      anthropic.next(anthropicCut, upstreamEnding(done));
      const linesBefore = requestLines().length;
      const seen = await streamUntil('claude', (so) => so.text === expected.text, (abort) => clientAction(abort, done));
      assert.equal(seen.text, expected.text, 'the client got everything up to the cut');
      assert.equal(seen.reasoning, expected.reasoning);
      const line = await meteredLine('claude', linesBefore);
      const delivered = tokens(expected.text) + tokens(expected.reasoning);
      assert.ok(delivered > seen.events * 2, `the transcript puts several tokens in an event (${delivered} tokens, ${seen.events} events)`);
      assert.equal(line.completion_tokens, delivered);
      assert.equal(line.reasoning_tokens, tokens(expected.reasoning));
      // message_start reported the prompt: 1021 + 256 cache writes + 2048 cache reads.
      assert.equal(line.prompt_tokens, 1021 + 256 + 2048);
    });
  }

  test('Gemini, cut before its last event: output is the delivered count, never below its last running total', async () => {
    gemini.next(geminiCut, { kind: 'close' });
    const linesBefore = requestLines().length;
    const seen = await streamUntil('gemini', () => false, () => {});
    const lastTotal = Math.max(...[...geminiCut.matchAll(/"candidatesTokenCount": (\d+)/g)].map((match) => Number(match[1])));
    const line = await meteredLine('gemini', linesBefore);
    assert.ok(seen.text.length > 0);
    assert.equal(line.completion_tokens, Math.max(lastTotal, tokens(seen.text)));
    assert.ok((line.completion_tokens as number) > seen.events, `${String(line.completion_tokens)} tokens over ${seen.events} events`);
    assert.equal(line.prompt_tokens, 31);
  });

  test('the metered figure is what the token metrics record', async () => {
    const metrics = await gateway.sidecarMetrics();
    const expected = anthropicText();
    const perRequest = tokens(expected.text) + tokens(expected.reasoning);
    // Four Anthropic endings above, each metered once with the same output.
    assert.match(metrics, new RegExp(`gen_ai_client_token_usage_sum\\{[^}]*gen_ai_request_model="claude"[^}]*gen_ai_token_type="output"[^}]*\\} ${perRequest * 4}\\n`));
  });
});
