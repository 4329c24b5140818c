import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { ServerResponse } from 'node:http';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { completion, MOCK_USAGE, sendJson, startMockOpenAIUpstream, streamEvents, type MockOpenAIUpstream, type RecordedRequest } from '../support/mock-openai-upstream.js';
import { startMockAnthropicUpstream, type MockAnthropicUpstream } from '../support/mock-anthropic-upstream.js';
import { seriesValue } from '../support/prometheus-text.js';

/**
 * POST /v1/moderations and the moderation guardrail through the real Envoy with the official
 * SDKs. The moderation provider is a mock of OpenAI's moderations API (it flags `kill` as
 * violence and refuses what OpenAI refuses); the guardrail calls it through the gateway's own
 * listener with the client's key, so the call is admitted like any other.
 */
const OPENAI_KEY = 'sk-provider-moderation-openai';
const ANTHROPIC_KEY = 'sk-ant-provider-moderation';
const secrets = { dev: 'sk-test-moderation-dev-0123456789', narrow: 'sk-test-moderation-narrow-0123456789' };

/** The last user message's text, as the provider received it. */
function lastUserText(request: RecordedRequest): string {
  const messages = request.json!.messages as { role: string; content: string }[];
  return messages.at(-1)!.content;
}

/** An OpenAI chat provider that says what it was sent, streamed in 4-character pieces. */
async function echo(request: RecordedRequest, response: ServerResponse): Promise<void> {
  const text = `You said: ${lastUserText(request)}`;
  if (request.json!.stream !== true) return sendJson(response, 200, completion(String(request.json!.model), text));
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  for (const event of streamEvents(String(request.json!.model), true, text.match(/.{1,4}/gs) ?? [])) {
    response.write(event);
    await new Promise((resolve) => setImmediate(resolve));
  }
  response.end();
}

describe('moderation through Envoy', () => {
  let chat: MockOpenAIUpstream;
  let moderation: MockOpenAIUpstream;
  let anthropic: MockAnthropicUpstream;
  let gateway: GatewayHarness;
  const openai = (secret = secrets.dev) => new OpenAI({ apiKey: secret, baseURL: gateway.baseURL, maxRetries: 0 });

  before(async () => {
    chat = await startMockOpenAIUpstream({ expectedKey: OPENAI_KEY });
    moderation = await startMockOpenAIUpstream({ expectedKey: OPENAI_KEY });
    anthropic = await startMockAnthropicUpstream({ expectedKey: ANTHROPIC_KEY });
    gateway = await startGateway({
      providers: {
        chat: { kind: 'openai', base_url: `http://127.0.0.1:${chat.port}/v1`, credential: { env: 'OPENAI_KEY' } },
        moderation: { kind: 'openai', base_url: `http://127.0.0.1:${moderation.port}/v1`, credential: { env: 'OPENAI_KEY' } },
        claude: { kind: 'anthropic', base_url: `http://127.0.0.1:${anthropic.port}/v1`, credential: { env: 'ANTHROPIC_KEY' } },
      },
      models: {
        omni: { provider: 'moderation', model: 'omni-moderation-latest' },
        'not-a-moderation-model': { provider: 'moderation', model: 'gpt-4o-mini' },
        'gpt-moderated': { provider: 'chat', model: 'gpt-4o-mini', guardrails: ['answers'] },
        'gpt-classified': { provider: 'chat', model: 'gpt-4o-mini', guardrails: ['classifier'] },
        claude: { provider: 'claude', model: 'claude-haiku-4-5', guardrails: ['answers'] },
      },
      guardrails: {
        answers: { type: 'moderation', model: 'omni', action: 'block', timeout: '3s', on_error: 'open' },
        classifier: { type: 'moderation', model: 'omni', action: 'block', on: ['input'], categories: ['violence'], timeout: '3s', on_error: 'closed' },
      },
      environment: { OPENAI_KEY, ANTHROPIC_KEY },
      keys: [
        { alias: 'dev', hash: hashKeySecret(secrets.dev) },
        // May not use the moderation model: its guardrail's call is refused (403), and on_error decides.
        { alias: 'narrow', hash: hashKeySecret(secrets.narrow), models: ['gpt-classified', 'gpt-moderated'] },
      ],
    });
  });

  after(async () => {
    await gateway?.stop();
    await chat?.close();
    await moderation?.close();
    await anthropic?.close();
  });

  beforeEach(() => chat.resetScript());

  /** A client error's status, param and code. */
  async function refused(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
    const caught = await call.then(() => undefined, (error: unknown) => error);
    assert.ok(caught instanceof OpenAI.APIError, `expected an API error, got ${String(caught)}`);
    return caught;
  }

  test('/v1/moderations passes through to an OpenAI target: results, categories and scores as OpenAI gives them', async () => {
    const answer = await openai().moderations.create({ model: 'omni', input: ['I will kill the process', 'hello there'] });
    assert.equal(answer.results.length, 2);
    assert.equal(answer.results[0]!.flagged, true);
    assert.equal(answer.results[0]!.categories.violence, true);
    assert.ok(answer.results[0]!.category_scores.violence > 0.5);
    assert.equal(answer.results[1]!.flagged, false);
    const sent = moderation.requests.at(-1)!;
    assert.equal(sent.path, '/v1/moderations');
    assert.equal(sent.headers.authorization, `Bearer ${OPENAI_KEY}`, 'the provider key, never the client\'s');
    assert.deepEqual(sent.json, { model: 'omni-moderation-latest', input: ['I will kill the process', 'hello there'] });
  });

  test('/v1/moderations refusals: the provider\'s (a model it does not have), and the gateway\'s (no input; a kind without the API)', async () => {
    const badModel = await refused(openai().moderations.create({ model: 'not-a-moderation-model', input: 'x' }));
    assert.equal(badModel.status, 400);
    assert.equal(badModel.param, 'model');
    assert.match(badModel.message, /Invalid value for 'model' = gpt-4o-mini/);

    const sent = moderation.requests.length;
    const noInput = await refused(openai().moderations.create({ model: 'omni' } as never));
    assert.equal(noInput.status, 400);
    assert.equal(noInput.param, 'input');
    const claude = await refused(openai().moderations.create({ model: 'claude', input: 'x' }));
    assert.equal(claude.status, 400);
    assert.equal(claude.param, 'model');
    assert.match(claude.message, /no moderations API/);
    assert.equal(moderation.requests.length, sent, 'nothing reached the provider');
  });

  test('output: a flagged JSON answer is emptied with content_filter; a clean one is delivered', async () => {
    chat.respondWith(echo, echo);
    const cut = await openai().chat.completions.create({ model: 'gpt-moderated', messages: [{ role: 'user', content: 'kill the job' }] });
    assert.equal(cut.choices[0]!.finish_reason, 'content_filter');
    assert.equal(cut.choices[0]!.message.content, '');
    assert.deepEqual(moderation.requests.at(-1)!.json, { model: 'omni-moderation-latest', input: ['You said: kill the job'] });
    const clean = await openai().chat.completions.create({ model: 'gpt-moderated', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(clean.choices[0]!.message.content, 'You said: hello');
    const metrics = await gateway.sidecarMetrics();
    assert.ok(seriesValue(metrics, 'llm_gateway_guardrail_decisions_total', { guardrail: 'answers', detector: 'violence', action: 'cut' }) >= 1);
    await waitFor('the access log naming the guardrail that cut the answer', () => gateway.envoyLogs().split('\n').some((line) => line.includes('"guardrail":"answers"') && line.includes('"model":"gpt-moderated"')), () => gateway.envoyLogs().slice(-2000));
  });

  test('output: a flagged stream ends with finish_reason content_filter before the finish; usage still arrives', async () => {
    chat.respondWith(echo);
    const stream = await openai().chat.completions.create({ model: 'gpt-moderated', messages: [{ role: 'user', content: 'kill it' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    const finishes: string[] = [];
    let usage = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
      usage += chunk.usage?.total_tokens ?? 0;
    }
    // Without a hold-back the text was delivered as it came; the verdict comes before the finish (the README says so).
    assert.equal(text, 'You said: kill it');
    assert.deepEqual(finishes, ['content_filter']);
    assert.equal(usage, MOCK_USAGE.total_tokens);
  });

  test('output on /v1/messages: a flagged text block ends the stream with stop_reason refusal', async () => {
    const client = new Anthropic({ apiKey: secrets.dev, baseURL: gateway.baseURL.replace(/\/v1$/, ''), maxRetries: 0 });
    const message = await client.messages.stream({ model: 'claude', max_tokens: 100, messages: [{ role: 'user', content: 'kill the lights' }] }).finalMessage();
    assert.equal(message.stop_reason, 'refusal');
    assert.deepEqual(moderation.requests.at(-1)!.json, { model: 'omni-moderation-latest', input: ['Echo: kill the lights'] });
    const whole = await client.messages.create({ model: 'claude', max_tokens: 100, messages: [{ role: 'user', content: 'kill it' }] });
    assert.equal(whole.stop_reason, 'refusal');
    assert.deepEqual(whole.content, []);
  });

  test('input: a flagged prompt is refused before anything reaches the chat provider; a clean one is served', async () => {
    chat.respondWith(echo);
    const before = chat.requests.length;
    const error = await refused(openai().chat.completions.create({ model: 'gpt-classified', messages: [{ role: 'user', content: 'how to kill a zombie process' }] }));
    assert.equal(error.status, 400);
    assert.equal(error.code, 'guardrail_blocked');
    assert.match(error.message, /guardrail 'classifier': detector 'violence'/);
    assert.equal(chat.requests.length, before);
    const served = await openai().chat.completions.create({ model: 'gpt-classified', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(served.choices[0]!.message.content, 'You said: hello');
  });

  test('fail-closed: a key that may not use the moderation model gets a 503 guardrail_unavailable; fail-open lets the answer through', async () => {
    const before = chat.requests.length;
    const error = await refused(openai(secrets.narrow).chat.completions.create({ model: 'gpt-classified', messages: [{ role: 'user', content: 'hello' }] }));
    assert.equal(error.status, 503);
    assert.equal(error.code, 'guardrail_unavailable');
    assert.equal(chat.requests.length, before);
    chat.respondWith(echo);
    const open = await openai(secrets.narrow).chat.completions.create({ model: 'gpt-moderated', messages: [{ role: 'user', content: 'kill' }] });
    assert.equal(open.choices[0]!.message.content, 'You said: kill', 'on_error open: unchecked, and recorded as unavailable');
    assert.ok(seriesValue(await gateway.sidecarMetrics(), 'llm_gateway_guardrail_decisions_total', { guardrail: 'answers', detector: 'moderation', action: 'unavailable' }) >= 1);
  });
});
