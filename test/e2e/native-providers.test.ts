import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { startGateway, type GatewayHarness } from '../support/gateway-harness.js';
import { ANTHROPIC_USAGE, startMockAnthropicUpstream, type MockAnthropicUpstream } from '../support/mock-anthropic-upstream.js';
import { GEMINI_USAGE, startMockGeminiUpstream, type MockGeminiUpstream } from '../support/mock-gemini-upstream.js';
import { nestedObjectsText } from '../support/deep-json.js';
import { failWith } from '../support/faults.js';
import { startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

/**
 * A client that speaks only OpenAI reaches Anthropic and Gemini through the real Envoy:
 * text, streams, a full tool-calling round trip, and exact usage, while the mock
 * providers check every request against their own API's rules.
 */
const ANTHROPIC_KEY = 'sk-ant-e2e-provider-key';
const GEMINI_KEY = 'AIza-e2e-provider-key';

const weatherTool: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city'] },
  },
};

const expectedUsage = {
  claude: {
    prompt_tokens: ANTHROPIC_USAGE.input_tokens + ANTHROPIC_USAGE.cache_creation_input_tokens + ANTHROPIC_USAGE.cache_read_input_tokens,
    completion_tokens: ANTHROPIC_USAGE.output_tokens,
    cached_tokens: ANTHROPIC_USAGE.cache_read_input_tokens,
    reasoning_tokens: 0,
  },
  gemini: {
    prompt_tokens: GEMINI_USAGE.promptTokenCount,
    completion_tokens: GEMINI_USAGE.candidatesTokenCount + GEMINI_USAGE.thoughtsTokenCount,
    cached_tokens: GEMINI_USAGE.cachedContentTokenCount,
    reasoning_tokens: GEMINI_USAGE.thoughtsTokenCount,
  },
} as const;

describe('native Anthropic and Gemini through Envoy', () => {
  let anthropic: MockAnthropicUpstream;
  let gemini: MockGeminiUpstream;
  let openai: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  let client: OpenAI;

  before(async () => {
    anthropic = await startMockAnthropicUpstream({ expectedKey: ANTHROPIC_KEY });
    gemini = await startMockGeminiUpstream({ expectedKey: GEMINI_KEY });
    openai = await startMockOpenAIUpstream({ expectedKey: 'sk-openai-e2e' });
    gateway = await startGateway({
      providers: {
        openai: { kind: 'openai', base_url: `http://127.0.0.1:${openai.port}/v1`, credential: { env: 'OPENAI_API_KEY' } },
        anthropic: { kind: 'anthropic', base_url: `http://127.0.0.1:${anthropic.port}/v1`, credential: { env: 'ANTHROPIC_API_KEY' } },
        gemini: { kind: 'gemini', base_url: `http://127.0.0.1:${gemini.port}/v1beta`, credential: { env: 'GEMINI_API_KEY' } },
      },
      models: {
        claude: { provider: 'anthropic', model: 'claude-haiku-4-5' },
        gemini: { provider: 'gemini', model: 'gemini-2.5-flash' },
        cross: { fallback: [{ provider: 'openai', model: 'gpt-4o-mini' }, { provider: 'anthropic', model: 'claude-haiku-4-5' }] },
      },
      environment: { ANTHROPIC_API_KEY: ANTHROPIC_KEY, GEMINI_API_KEY: GEMINI_KEY, OPENAI_API_KEY: 'sk-openai-e2e' },
      resilience: { backoff_base: '10ms', backoff_max: '20ms' },
    });
    client = new OpenAI({ apiKey: 'sk-client-e2e', baseURL: gateway.baseURL, maxRetries: 0 });
  });

  after(async () => {
    await gateway?.stop();
    await anthropic?.close();
    await gemini?.close();
    await openai?.close();
  });

  function assertUsage(usage: OpenAI.CompletionUsage | undefined | null, model: 'claude' | 'gemini') {
    const expected = expectedUsage[model];
    assert.ok(usage, 'usage reported');
    assert.equal(usage.prompt_tokens, expected.prompt_tokens);
    assert.equal(usage.completion_tokens, expected.completion_tokens);
    assert.equal(usage.total_tokens, expected.prompt_tokens + expected.completion_tokens);
    assert.equal(usage.prompt_tokens_details?.cached_tokens, expected.cached_tokens);
    assert.equal(usage.completion_tokens_details?.reasoning_tokens ?? 0, expected.reasoning_tokens);
  }

  for (const model of ['claude', 'gemini'] as const) {
    describe(model, () => {
      const messages: ChatCompletionMessageParam[] = [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hello' },
        { role: 'user', content: 'there' },
      ];

      test('a completion, with the system prompt and merged user turns delivered natively', async () => {
        const completion = await client.chat.completions.create({ model, messages, max_tokens: 50 });
        assert.equal(completion.object, 'chat.completion');
        assert.match(completion.choices[0]?.message.content ?? '', /^Echo: Hello/);
        assert.equal(completion.choices[0]?.finish_reason, 'stop');
        assertUsage(completion.usage, model);
        if (model === 'claude') {
          const sent = anthropic.requests.at(-1)!;
          assert.equal(sent.headers['x-api-key'], ANTHROPIC_KEY);
          assert.equal(sent.headers['anthropic-version'], '2023-06-01');
          assert.equal(sent.body.model, 'claude-haiku-4-5');
          assert.equal(sent.body.max_tokens, 50);
          assert.deepEqual(sent.body.messages.map((message: any) => message.role), ['user']);
          assert.ok(JSON.stringify(sent.body.system).includes('You are terse.'));
        } else {
          const sent = gemini.requests.at(-1)!;
          assert.equal(sent.path, '/v1beta/models/gemini-2.5-flash:generateContent');
          assert.equal(sent.headers['x-goog-api-key'], GEMINI_KEY);
          assert.equal(sent.body.generationConfig.maxOutputTokens, 50);
          assert.deepEqual(sent.body.contents.map((content: any) => content.role), ['user']);
          assert.ok(JSON.stringify(sent.body.systemInstruction).includes('You are terse.'));
        }
      });

      test('a stream reassembles to the same text; usage arrives only when asked', async () => {
        const reference = await client.chat.completions.create({ model, messages });
        for (const includeUsage of [false, true]) {
          const stream = await client.chat.completions.create({ model, messages, stream: true, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) });
          let text = '';
          let finish: string | null | undefined;
          let usage: OpenAI.CompletionUsage | undefined;
          const ids = new Set<string>();
          for await (const chunk of stream) {
            ids.add(chunk.id);
            text += chunk.choices[0]?.delta.content ?? '';
            finish = chunk.choices[0]?.finish_reason ?? finish;
            if (chunk.usage) usage = chunk.usage;
          }
          assert.equal(text, reference.choices[0]?.message.content);
          assert.equal(finish, 'stop');
          assert.equal(ids.size, 1, 'one stable id across chunks');
          if (includeUsage) assertUsage(usage, model);
          else assert.equal(usage, undefined);
        }
        if (model === 'gemini') assert.equal(gemini.requests.at(-1)!.path, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
        else assert.equal(anthropic.requests.at(-1)!.body.stream, true);
      });

      for (const stream of [false, true]) {
        test(`a full tool-calling round trip${stream ? ', streamed' : ''}`, async () => {
          const question: ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
          let toolCalls: { id: string; name: string; arguments: string }[] = [];
          let finish: string | null | undefined;
          if (stream) {
            const chunks = await client.chat.completions.create({ model, messages: question, tools: [weatherTool], tool_choice: 'auto', stream: true });
            const byIndex = new Map<number, { id: string; name: string; arguments: string }>();
            for await (const chunk of chunks) {
              finish = chunk.choices[0]?.finish_reason ?? finish;
              for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
                const call = byIndex.get(delta.index) ?? { id: '', name: '', arguments: '' };
                call.id ||= delta.id ?? '';
                call.name ||= delta.function?.name ?? '';
                call.arguments += delta.function?.arguments ?? '';
                byIndex.set(delta.index, call);
              }
            }
            assert.deepEqual([...byIndex.keys()], [0], 'OpenAI tool indices count tool calls from 0');
            toolCalls = [...byIndex.values()];
          } else {
            const completion = await client.chat.completions.create({ model, messages: question, tools: [weatherTool], tool_choice: 'auto' });
            finish = completion.choices[0]?.finish_reason;
            toolCalls = (completion.choices[0]?.message.tool_calls ?? []).map((call) => {
              assert.equal(call.type, 'function');
              return { id: call.id, name: (call as any).function.name, arguments: (call as any).function.arguments };
            });
          }
          assert.equal(finish, 'tool_calls');
          assert.equal(toolCalls.length, 1);
          assert.equal(toolCalls[0]!.name, 'get_weather');
          assert.deepEqual(JSON.parse(toolCalls[0]!.arguments), { city: 'Paris', unit: 'celsius' });
          assert.ok(toolCalls[0]!.id.length > 0);

          const followUp = await client.chat.completions.create({
            model,
            tools: [weatherTool],
            messages: [
              ...question,
              { role: 'assistant', content: null, tool_calls: toolCalls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } })) },
              { role: 'tool', tool_call_id: toolCalls[0]!.id, content: '{"temperature": 22}' },
            ],
          });
          assert.match(followUp.choices[0]?.message.content ?? '', /^The weather is .*22/);
          assert.equal(followUp.choices[0]?.finish_reason, 'stop');
          if (model === 'claude') {
            const sent = anthropic.requests.at(-1)!.body;
            assert.deepEqual(sent.tools[0].name, 'get_weather');
            assert.deepEqual(sent.messages.map((message: any) => message.role), ['user', 'assistant', 'user']);
          } else {
            const sent = gemini.requests.at(-1)!.body;
            assert.equal(sent.tools[0].functionDeclarations[0].name, 'get_weather');
            assert.deepEqual(sent.contents.map((content: any) => content.role), ['user', 'model', 'user']);
            assert.equal(sent.contents[2].parts[0].functionResponse.name, 'get_weather', 'the function name is recovered from the history');
          }
        });
      }

      test('what OpenAI would refuse, and JSON nested past the bound, is a 400 naming it, before any upstream call', async () => {
        const before = anthropic.requests.length + gemini.requests.length;
        const history = (argumentsText: string): ChatCompletionMessageParam[] => [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: argumentsText } }] },
          { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        ];
        const cases: [string, () => Promise<unknown>, string, string][] = [
          [
            'parameters of type string (issue 11)',
            () => client.chat.completions.create({ model, max_tokens: 16, messages, tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }] }),
            'tools[0].function.parameters',
            'invalid_function_parameters',
          ],
          ['metadata with a number', () => client.chat.completions.create({ model, messages, metadata: { tier: 3 } } as never), 'metadata.tier', 'invalid_type'],
          // A string to the SDK, so it serialises; parsed, it would be 5,000 levels deep.
          ['arguments nested 5,000 levels', () => client.chat.completions.create({ model, messages: history(nestedObjectsText(5000)), tools: [weatherTool] }), 'messages[1].tool_calls[0].function.arguments', 'json_nesting_too_deep'],
        ];
        for (const [name, call, param, code] of cases) {
          await assert.rejects(call(), (error: unknown) => {
            assert.ok(error instanceof OpenAI.BadRequestError, name);
            assert.equal(error.param, param, name);
            assert.equal(error.code, code, name);
            return true;
          });
        }
        assert.equal(anthropic.requests.length + gemini.requests.length, before, 'refused before anything was sent');
        // At the bound, the same history is translated and answered.
        const completion = await client.chat.completions.create({ model, messages: history(nestedObjectsText(128)), tools: [weatherTool] });
        assert.match(completion.choices[0]?.message.content ?? '', /sunny/);
      });

      test('a parameter the provider cannot honour is a 400 naming it, before any upstream call', async () => {
        const before = anthropic.requests.length + gemini.requests.length;
        await assert.rejects(client.chat.completions.create({ model, messages, logit_bias: { '50256': -100 } }), (error: unknown) => {
          assert.ok(error instanceof OpenAI.BadRequestError);
          assert.equal(error.param, 'logit_bias');
          return true;
        });
        assert.equal(anthropic.requests.length + gemini.requests.length, before, 'refused before anything was sent');
      });
    });
  }

  for (const stream of [false, true]) {
    test(`a failing OpenAI-compatible primary falls back to Anthropic, translated per attempt${stream ? ' (streaming)' : ''}`, async () => {
      openai.resetScript();
      openai.respondWith(failWith(503), failWith(503));
      const messages: ChatCompletionMessageParam[] = [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'fall back' }];
      let text = '';
      let usage: OpenAI.CompletionUsage | undefined | null;
      let model = '';
      if (stream) {
        for await (const chunk of await client.chat.completions.create({ model: 'cross', messages, stream: true, stream_options: { include_usage: true } })) {
          text += chunk.choices[0]?.delta.content ?? '';
          usage = chunk.usage ?? usage;
          model = chunk.model;
        }
      } else {
        const completion = await client.chat.completions.create({ model: 'cross', messages });
        text = completion.choices[0]?.message.content ?? '';
        usage = completion.usage;
        model = completion.model;
      }
      assert.equal(text, 'Echo: fall back');
      assert.equal(model, 'claude-haiku-4-5-20251001', 'the model reported is the one that served');
      assertUsage(usage, 'claude');
      const sent = anthropic.requests.at(-1)!;
      assert.equal(sent.headers['x-api-key'], ANTHROPIC_KEY);
      assert.equal(sent.headers.authorization, undefined, "the OpenAI attempt's credential did not leak into the Anthropic attempt");
      assert.equal(sent.body.model, 'claude-haiku-4-5');
      assert.equal(sent.body.system.map?.((block: any) => block.text).join('') ?? sent.body.system, 'Be kind.');
      assert.equal(openai.requests.at(-1)!.headers['x-api-key'], undefined);
    });
  }

  test('the mock providers found nothing to object to, and no client credential reached them', () => {
    assert.deepEqual(anthropic.problems, []);
    assert.deepEqual(gemini.problems, []);
    for (const request of [...anthropic.requests, ...gemini.requests]) {
      assert.ok(!JSON.stringify(request.headers).includes('sk-client-e2e'));
      assert.equal(request.headers.authorization, undefined);
    }
  });
});
