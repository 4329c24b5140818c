import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { ANTHROPIC_THINKING_SIGNATURE, ANTHROPIC_THINKING_TOKENS, startMockAnthropicUpstream, type MockAnthropicUpstream } from '../support/mock-anthropic-upstream.js';
import { GEMINI_USAGE, startMockGeminiUpstream, type MockGeminiUpstream } from '../support/mock-gemini-upstream.js';

/**
 * Issue 11, faults 4 to 6, through the real Envoy with the openai SDK, against mock providers
 * that refuse what the real APIs refuse: ids and names carried over from other providers,
 * reasoning_effort and the other fields that change the answer or its cost, and whitespace
 * that Anthropic refuses where OpenAI does not.
 */
const ANTHROPIC_KEY = 'sk-ant-rules-key';
const GEMINI_KEY = 'AIza-rules-key';

const listFiles: ChatCompletionTool = { type: 'function', function: { name: 'list_files', description: 'List a directory', parameters: { type: 'object', properties: { dir: { type: 'string' } } } } };
const weather = (name: string): ChatCompletionTool => ({
  type: 'function',
  function: { name, description: 'Current weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
});

/** An agent history another model wrote: Kimi-style call ids, reused by a later turn, and "\n\n" before the calls. */
const foreignHistory: ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are a coding agent.' },
  { role: 'user', content: 'What is in this directory?' },
  { role: 'assistant', content: '\n\n', tool_calls: [{ id: 'functions.list_files:0', type: 'function', function: { name: 'list_files', arguments: '{"dir":"."}' } }] },
  { role: 'tool', tool_call_id: 'functions.list_files:0', content: 'src\ntest' },
  { role: 'assistant', content: '\n\n', tool_calls: [{ id: 'functions.list_files:0', type: 'function', function: { name: 'list_files', arguments: '{"dir":"src"}' } }] },
  { role: 'tool', tool_call_id: 'functions.list_files:0', content: 'main.ts' },
  { role: 'assistant', content: 'There is src/main.ts and a test folder.' },
  { role: 'user', content: 'Thanks. Summarize.' },
];

describe('provider rules through Envoy (issue 11, faults 4-6)', () => {
  let anthropic: MockAnthropicUpstream;
  let gemini: MockGeminiUpstream;
  let gateway: GatewayHarness;
  let client: OpenAI;

  before(async () => {
    anthropic = await startMockAnthropicUpstream({ expectedKey: ANTHROPIC_KEY });
    gemini = await startMockGeminiUpstream({ expectedKey: GEMINI_KEY });
    gateway = await startGateway({
      providers: {
        anthropic: { kind: 'anthropic', base_url: `http://127.0.0.1:${anthropic.port}/v1`, credential: { env: 'ANTHROPIC_API_KEY' } },
        gemini: { kind: 'gemini', base_url: `http://127.0.0.1:${gemini.port}/v1beta`, credential: { env: 'GEMINI_API_KEY' } },
      },
      models: {
        claude: { provider: 'anthropic', model: 'claude-sonnet-4-5' },
        gemini: { provider: 'gemini', model: 'gemini-2.5-flash' },
        'gemini-pro': { provider: 'gemini', model: 'gemini-2.5-pro' },
      },
      environment: { ANTHROPIC_API_KEY: ANTHROPIC_KEY, GEMINI_API_KEY: GEMINI_KEY },
    });
    client = new OpenAI({ apiKey: 'sk-client-rules', baseURL: gateway.baseURL, maxRetries: 0 });
  });

  after(async () => {
    await gateway?.stop();
    await anthropic?.close();
    await gemini?.close();
  });

  async function assertBadRequest(promise: Promise<unknown>, param: string): Promise<void> {
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError, String(error));
      assert.equal(error.param, param);
      return true;
    });
  }

  describe('fault 4: identifiers carried from one provider to another', () => {
    for (const stream of [false, true]) {
      test(`a history with another provider's tool-call ids reaches Anthropic as valid, unique ids, turn after turn${stream ? ' (streamed)' : ''}`, async () => {
        const sentIds: string[][] = [];
        for (const history of [foreignHistory, [...foreignHistory, { role: 'assistant' as const, content: 'A small TypeScript project.' }, { role: 'user' as const, content: 'And the tests?' }]]) {
          if (stream) {
            let text = '';
            for await (const chunk of await client.chat.completions.create({ model: 'claude', tools: [listFiles], messages: history, stream: true })) text += chunk.choices[0]?.delta.content ?? '';
            assert.match(text, /^Echo: /);
          } else {
            const completion = await client.chat.completions.create({ model: 'claude', tools: [listFiles], messages: history });
            assert.match(completion.choices[0]?.message.content ?? '', /^Echo: /);
          }
          const sent = anthropic.requests.at(-1)!.body;
          const uses = sent.messages.flatMap((message: any) => message.content.filter((block: any) => block.type === 'tool_use').map((block: any) => block.id));
          const results = sent.messages.flatMap((message: any) => message.content.filter((block: any) => block.type === 'tool_result').map((block: any) => block.tool_use_id));
          assert.equal(uses.length, 2);
          assert.equal(new Set(uses).size, 2, 'the reused id became two distinct ids');
          assert.deepEqual(results, uses, 'each result names its own call');
          for (const id of uses) assert.match(id, /^[a-zA-Z0-9_-]+$/);
          sentIds.push(uses);
        }
        assert.deepEqual(sentIds[1], sentIds[0], 'the resent history gets the same ids');
      });
    }

    test('a tool whose OpenAI name Gemini refuses round-trips: declared, called and answered under the name the client chose', async () => {
      const tools = [weather('3d_weather')];
      const question: ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
      const completion = await client.chat.completions.create({ model: 'gemini', tools, messages: question });
      const call = completion.choices[0]?.message.tool_calls?.[0] as { id: string; function: { name: string; arguments: string } } | undefined;
      assert.ok(call, 'a tool call');
      assert.equal(call.function.name, '3d_weather');
      const sentName = gemini.requests.at(-1)!.body.tools[0].functionDeclarations[0].name;
      assert.match(sentName, /^[a-zA-Z_]/, 'Gemini got a name it accepts');

      let streamedName = '';
      for await (const chunk of await client.chat.completions.create({ model: 'gemini', tools, messages: question, stream: true })) {
        streamedName += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.name ?? '';
      }
      assert.equal(streamedName, '3d_weather');

      const followUp = await client.chat.completions.create({
        model: 'gemini',
        tools,
        messages: [...question, { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: call.function }] }, { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' }],
      });
      assert.match(followUp.choices[0]?.message.content ?? '', /^The weather is .*21/);
    });
  });

  describe('fault 5: fields that change the answer or its cost are mapped or refused', () => {
    test('Gemini 2.5 Flash: reasoning_effort none turns thinking off, so no thinking tokens are billed; low thinks with a budget', async () => {
      const none = await client.chat.completions.create({ model: 'gemini', reasoning_effort: 'none', messages: [{ role: 'user', content: 'Say hi' }] }).withResponse();
      assert.deepEqual(gemini.requests.at(-1)!.body.generationConfig.thinkingConfig, { thinkingBudget: 0 });
      assert.equal(none.data.usage?.completion_tokens_details?.reasoning_tokens, 0);
      assert.equal(none.data.usage?.completion_tokens, GEMINI_USAGE.candidatesTokenCount);

      const low = await client.chat.completions.create({ model: 'gemini', reasoning_effort: 'low', messages: [{ role: 'user', content: 'Say hi' }] });
      assert.deepEqual(gemini.requests.at(-1)!.body.generationConfig.thinkingConfig, { thinkingBudget: 1024, includeThoughts: true });
      const message = low.choices[0]?.message as { content: string | null; reasoning_content?: string };
      assert.equal(message.content, 'Echo: Say hi', 'thought summaries stay out of content');
      assert.equal(message.reasoning_content, 'Thinking about: Say hi');
      assert.equal(low.usage?.completion_tokens_details?.reasoning_tokens, GEMINI_USAGE.thoughtsTokenCount);

      // The sidecar meters what the provider billed: no reasoning tokens for "none".
      const requestId = none.response.headers.get('x-gateway-request-id');
      await waitFor('the request log line', () => gateway.sidecarLogLines().some((line) => line.request_id === requestId));
      const line = gateway.sidecarLogLines().find((entry) => entry.request_id === requestId)!;
      assert.equal(line.reasoning_tokens, 0);
    });

    test('Gemini 2.5 Pro cannot stop thinking: reasoning_effort none is a 400 naming it, and nothing is sent', async () => {
      const before = gemini.requests.length;
      await assertBadRequest(client.chat.completions.create({ model: 'gemini-pro', reasoning_effort: 'none', messages: [{ role: 'user', content: 'Hi' }] }), 'reasoning_effort');
      assert.equal(gemini.requests.length, before);
    });

    test('Claude: reasoning_effort becomes extended thinking; thinking text is reasoning_content, in whole answers and streams, and its tokens are metered', async () => {
      const completion = await client.chat.completions.create({ model: 'claude', reasoning_effort: 'medium', messages: [{ role: 'user', content: 'Why is the sky blue?' }] });
      assert.deepEqual(anthropic.requests.at(-1)!.body.thinking, { type: 'enabled', budget_tokens: 8192 });
      const message = completion.choices[0]?.message as { content: string | null; reasoning_content?: string };
      assert.equal(message.content, 'Echo: Why is the sky blue?');
      assert.equal(message.reasoning_content, 'Thinking about: Why is the sky blue?');
      assert.equal(completion.usage?.completion_tokens_details?.reasoning_tokens, ANTHROPIC_THINKING_TOKENS);

      let content = '';
      let reasoning = '';
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of await client.chat.completions.create({ model: 'claude', reasoning_effort: 'medium', messages: [{ role: 'user', content: 'Why is the sky blue?' }], stream: true, stream_options: { include_usage: true } })) {
        const delta = chunk.choices[0]?.delta as { content?: string | null; reasoning_content?: string } | undefined;
        content += delta?.content ?? '';
        reasoning += delta?.reasoning_content ?? '';
        usage = chunk.usage ?? usage;
      }
      assert.equal(content, 'Echo: Why is the sky blue?');
      assert.equal(reasoning, 'Thinking about: Why is the sky blue?');
      assert.equal(usage?.completion_tokens_details?.reasoning_tokens, ANTHROPIC_THINKING_TOKENS);
    });

    test('Claude: a tool loop with thinking continues when the client sends back the thinking_blocks it was given', async () => {
      const question: ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
      const first = await client.chat.completions.create({ model: 'claude', reasoning_effort: 'low', tools: [weather('get_weather')], messages: question });
      const message = first.choices[0]!.message as OpenAI.ChatCompletionMessage & { thinking_blocks?: unknown[] };
      assert.deepEqual(message.thinking_blocks, [{ type: 'thinking', thinking: 'Thinking about: What is the weather in Paris?', signature: ANTHROPIC_THINKING_SIGNATURE }]);
      const call = message.tool_calls![0]!;
      const loop = [...question, { role: 'assistant', content: message.content, tool_calls: message.tool_calls, thinking_blocks: message.thinking_blocks } as ChatCompletionMessageParam, { role: 'tool' as const, tool_call_id: call.id, content: '{"temperature": 22}' }];
      const second = await client.chat.completions.create({ model: 'claude', reasoning_effort: 'low', tools: [weather('get_weather')], messages: loop });
      assert.match(second.choices[0]?.message.content ?? '', /^The weather is .*22/);
      // Without the blocks, Anthropic would refuse the request; the gateway says so first, naming the field.
      const stripped = loop.map((entry) => ('thinking_blocks' in entry ? { ...entry, thinking_blocks: undefined } : entry));
      await assertBadRequest(client.chat.completions.create({ model: 'claude', reasoning_effort: 'low', tools: [weather('get_weather')], messages: stripped }), 'reasoning_effort');
    });

    test('fields with no counterpart are a 400 naming them, for both providers, before anything is sent', async () => {
      const before = anthropic.requests.length + gemini.requests.length;
      for (const model of ['claude', 'gemini']) {
        await assertBadRequest(client.chat.completions.create({ model, verbosity: 'low', messages: [{ role: 'user', content: 'Hi' }] }), 'verbosity');
        await assertBadRequest(client.chat.completions.create({ model, store: true, messages: [{ role: 'user', content: 'Hi' }] }), 'store');
        await assertBadRequest(client.chat.completions.create({ model, web_search_options: {}, messages: [{ role: 'user', content: 'Hi' }] }), 'web_search_options');
        await assertBadRequest(client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], top_k: 40 } as OpenAI.ChatCompletionCreateParamsNonStreaming), 'top_k');
      }
      assert.equal(anthropic.requests.length + gemini.requests.length, before);
    });
  });

  describe('fault 6: provider rules kept by the translation', () => {
    for (const stream of [false, true]) {
      test(`whitespace-only text (system "   ", assistant "\\n\\n" beside tool calls, a user part "\\n") is left out and the answer is a 200${stream ? ' (streamed)' : ''}`, async () => {
        const messages: ChatCompletionMessageParam[] = [
          { role: 'system', content: '   ' },
          { role: 'user', content: [{ type: 'text', text: 'List the files' }, { type: 'text', text: '\n' }] },
          { role: 'assistant', content: '\n\n', tool_calls: [{ id: 'toolu_ws1', type: 'function', function: { name: 'list_files', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'toolu_ws1', content: 'a.txt' },
          { role: 'user', content: 'Anything else?' },
        ];
        let text = '';
        if (stream) {
          for await (const chunk of await client.chat.completions.create({ model: 'claude', tools: [listFiles], messages, stream: true })) text += chunk.choices[0]?.delta.content ?? '';
        } else {
          text = (await client.chat.completions.create({ model: 'claude', tools: [listFiles], messages })).choices[0]?.message.content ?? '';
        }
        assert.equal(text, 'The weather is a.txt.');
        const sent = anthropic.requests.at(-1)!.body;
        assert.equal(sent.system, undefined);
        assert.deepEqual(sent.messages[1].content.map((block: any) => block.type), ['tool_use']);
      });
    }

    test('a stop sequence Anthropic refuses ("\\n") is a 400 naming stop', async () => {
      await assertBadRequest(client.chat.completions.create({ model: 'claude', stop: ['\n'], messages: [{ role: 'user', content: 'Hi' }] }), 'stop');
    });
  });

  test('the mock providers found nothing to object to', () => {
    assert.deepEqual(anthropic.problems, []);
    assert.deepEqual(gemini.problems, []);
  });
});
