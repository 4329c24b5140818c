import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GatewayError } from '../../src/errors.js';
import { anthropicAdapter } from '../../src/providers/anthropic/anthropic-adapter.js';
import { geminiAdapter } from '../../src/providers/gemini/gemini-adapter.js';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '../../src/providers/openai/openai-api.js';
import { openAIAdapter } from '../../src/providers/openai/openai-adapter.js';
import type { ProviderAdapter } from '../../src/providers/provider-adapter.js';
import { CHAT_COMPLETION_REQUEST_FIELDS } from '../../src/providers/refuse-fields-without-counterpart.js';

/**
 * Every Chat Completions request field, for every translating provider kind: either it
 * changes what is sent (mapped), or it is refused with a 400 naming it, or it is one of the
 * few fields that change neither the answer nor its cost (ignored, and listed as such in the
 * README). A field that is none of these would be a silent drop, which this test catches.
 */
type Outcome = 'mapped' | 'ignored' | 'refused';

const weather = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
const withTools = { tools: [weather] };

/** field -> [a value other than the default, what Anthropic does, what Gemini does, fields the baseline needs]. */
const FIELDS: Record<string, [value: unknown, anthropic: Outcome, gemini: Outcome, base?: Record<string, unknown>]> = {
  stream: [true, 'mapped', 'mapped'],
  // Read by the response translators (usage chunk), not sent.
  stream_options: [{ include_usage: true, include_obfuscation: false }, 'ignored', 'ignored', { stream: true }],
  temperature: [0.5, 'mapped', 'mapped'],
  top_p: [0.5, 'mapped', 'mapped'],
  n: [2, 'refused', 'mapped'],
  max_tokens: [100, 'mapped', 'mapped'],
  max_completion_tokens: [100, 'mapped', 'mapped'],
  stop: ['END', 'mapped', 'mapped'],
  presence_penalty: [0.5, 'refused', 'mapped'],
  frequency_penalty: [0.5, 'refused', 'mapped'],
  logit_bias: [{ '50256': -100 }, 'refused', 'refused'],
  logprobs: [true, 'refused', 'mapped'],
  // OpenAI allows top_logprobs only with logprobs.
  top_logprobs: [2, 'refused', 'mapped', { logprobs: true }],
  seed: [7, 'refused', 'mapped'],
  user: ['user-42', 'mapped', 'ignored'],
  safety_identifier: ['hashed-42', 'mapped', 'ignored'],
  prompt_cache_key: ['tenant-7', 'ignored', 'ignored'],
  prompt_cache_retention: ['24h', 'refused', 'refused'],
  prompt_cache_options: [{ ttl: '30m', mode: 'explicit' }, 'refused', 'refused'],
  metadata: [{ team: 'search' }, 'ignored', 'ignored'],
  service_tier: ['priority', 'refused', 'refused'],
  // OpenAI asks for audio settings whenever audio output is asked for.
  modalities: [['text', 'audio'], 'refused', 'refused', { audio: { voice: 'alloy', format: 'wav' } }],
  verbosity: ['low', 'refused', 'refused'],
  reasoning_effort: ['medium', 'mapped', 'mapped'],
  web_search_options: [{}, 'refused', 'refused'],
  response_format: [{ type: 'json_schema', json_schema: { name: 'a', schema: { type: 'object' } } }, 'mapped', 'mapped'],
  audio: [{ voice: 'alloy', format: 'wav' }, 'refused', 'refused'],
  store: [true, 'refused', 'refused'],
  moderation: [{ model: 'omni-moderation-latest' }, 'refused', 'refused'],
  prediction: [{ type: 'content', content: 'x' }, 'refused', 'refused'],
  tools: [[weather], 'mapped', 'mapped'],
  tool_choice: ['required', 'mapped', 'mapped', withTools],
  parallel_tool_calls: [false, 'mapped', 'refused', withTools],
  function_call: ['auto', 'refused', 'refused'],
  functions: [[{ name: 'f' }], 'refused', 'refused'],
};

const target = (model: string) => ({ model, pathPrefix: '/v1', credential: undefined });
const TARGETS: Record<'anthropic' | 'gemini', [ProviderAdapter, string]> = { anthropic: [anthropicAdapter, 'claude-sonnet-4-5'], gemini: [geminiAdapter, 'gemini-2.5-flash'] };

function build(adapter: ProviderAdapter, model: string, fields: Record<string, unknown>): string {
  const request = chatCompletionRequestSchema.parse({ model: 'alias', messages: [{ role: 'user', content: 'Hello' }], ...fields }) as ChatCompletionRequest;
  const upstream = adapter.buildRequest(request, target(model));
  return `${upstream.path} ${upstream.body.toString('utf8')}`;
}

describe('every Chat Completions request field, per provider kind', () => {
  test('the table covers every field of the request, and nothing else', () => {
    assert.deepEqual(new Set(['model', 'messages', ...Object.keys(FIELDS)]), CHAT_COMPLETION_REQUEST_FIELDS);
  });

  for (const kind of ['anthropic', 'gemini'] as const) {
    test(`${kind}: each field is mapped (what is sent changes), refused with a 400 naming it, or ignored as documented`, () => {
      const [adapter, model] = TARGETS[kind];
      for (const [field, [value, anthropic, gemini, base = {}]] of Object.entries(FIELDS)) {
        const expected = kind === 'anthropic' ? anthropic : gemini;
        let baseline: string;
        try {
          baseline = build(adapter, model, base);
        } catch (error) {
          // The field needs another that this provider already refuses: it cannot be honoured either.
          assert.equal(expected, 'refused', `${field}: its prerequisite ${Object.keys(base).join(', ')} is refused`);
          assert.ok(error instanceof GatewayError && error.status === 400 && Object.keys(base).includes(error.param ?? ''), `${field}: ${String(error)}`);
          continue;
        }
        let sent: string | undefined;
        try {
          sent = build(adapter, model, { ...base, [field]: value });
        } catch (error) {
          assert.ok(error instanceof GatewayError, `${field}: ${String(error)}`);
          assert.equal(expected, 'refused', `${field} was refused: ${error.message}`);
          assert.equal(error.status, 400, field);
          assert.equal(error.param, field, field);
          continue;
        }
        assert.notEqual(expected, 'refused', `${field} should have been refused`);
        if (expected === 'mapped') assert.notEqual(sent, baseline, `${field} changed nothing that was sent`);
        else assert.equal(sent, baseline, `${field} is documented as ignored`);
      }
    });

    test(`${kind}: a field that is not in OpenAI's request is refused, naming it`, () => {
      const [adapter, model] = TARGETS[kind];
      assert.throws(() => build(adapter, model, { top_k: 40 }), (error: unknown) => error instanceof GatewayError && error.status === 400 && error.param === 'top_k');
    });
  }

  test('openai: every field passes through as the client sent it', () => {
    for (const [field, [value, , , base = {}]] of Object.entries(FIELDS)) {
      if (field === 'stream_options') continue; // include_usage is always set; tested with the adapter
      const request = chatCompletionRequestSchema.parse({ model: 'gpt', messages: [{ role: 'user', content: 'Hello' }], ...base, [field]: value }) as ChatCompletionRequest;
      const body = JSON.parse(openAIAdapter.buildRequest(request, target('gpt-4o')).body.toString('utf8'));
      assert.deepEqual(body[field], value, field);
    }
  });

  test("the README's field table lists every field", () => {
    // Tests run compiled, from dist/test/providers, three levels under the package root.
    const readme = readFileSync(resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Request fields by provider'));
    const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| Field')));
    const listed = new Set([...table.matchAll(/^\| ([^|]+)\|/gm)].flatMap((row) => [...row[1]!.matchAll(/`([a-z_]+)`/g)].map((match) => match[1]!)));
    for (const field of CHAT_COMPLETION_REQUEST_FIELDS) assert.ok(listed.has(field), `${field} is missing from the README table`);
  });
});
