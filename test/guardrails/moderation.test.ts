import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfiguration } from '../../src/config/load.js';
import { AnswerStreamFilter } from '../../src/guardrails/answer-stream-filter.js';
import { AnswerTextChecker } from '../../src/guardrails/answer-text-checker.js';
import { createGatewayModerator, type Moderate, type ModerationResult } from '../../src/guardrails/gateway-moderator.js';
import type { GuardrailDecision } from '../../src/guardrails/guardrail-observer.js';
import { createGuardrailPolicies, type Guardrail } from '../../src/guardrails/guardrail-policies.js';
import { moderationVerdict } from '../../src/guardrails/moderation-verdict.js';
import { PlaceholderVault } from '../../src/guardrails/placeholder-vault.js';
import { RequestGuard } from '../../src/guardrails/request-guard.js';

/** A result as OpenAI's moderation object gives it, with `found` flagged at 0.9. */
const result = (...found: string[]): ModerationResult => ({
  flagged: found.length > 0,
  categories: { violence: found.includes('violence'), harassment: found.includes('harassment'), 'self-harm/intent': found.includes('self-harm/intent') },
  categoryScores: { violence: found.includes('violence') ? 0.9 : 0.3, harassment: found.includes('harassment') ? 0.9 : 0.01, 'self-harm/intent': found.includes('self-harm/intent') ? 0.9 : 0.01 },
});

describe('moderation verdicts', () => {
  test('the model\'s own flags, a category list, and a score threshold', () => {
    const all = { categories: undefined, threshold: undefined };
    assert.equal(moderationVerdict([result()], all), undefined);
    assert.equal(moderationVerdict([result(), result('self-harm/intent')], all), 'self_harm_intent');
    assert.equal(moderationVerdict([result('harassment')], { categories: ['violence'], threshold: undefined }), undefined);
    assert.equal(moderationVerdict([result()], { categories: ['violence'], threshold: 0.25 }), 'violence', 'a score at the threshold counts, flagged or not');
    assert.equal(moderationVerdict([{ flagged: true, categories: {}, categoryScores: {} }], all), 'flagged');
  });
});

describe('the gateway moderator', () => {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchAnswering = (status: number, body: unknown) =>
    (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    }) as unknown as typeof fetch;

  test('posts {model, input} with the client\'s credential to the gateway\'s own /v1/moderations and reads results leniently', async () => {
    const moderate = createGatewayModerator({ baseUrl: 'http://127.0.0.1:8080', fetch: fetchAnswering(200, { id: 'modr-1', model: 'omni', results: [{ flagged: true, categories: { violence: true, extra: 'x' }, category_scores: { violence: 0.9 }, new_field: 1 }] }) });
    const results = await moderate({ model: 'mod', texts: ['kill'], credential: 'sk-client', timeoutMs: 1000 });
    assert.deepEqual(results, [{ flagged: true, categories: { violence: true }, categoryScores: { violence: 0.9 } }]);
    assert.equal(calls.at(-1)!.url, 'http://127.0.0.1:8080/v1/moderations');
    assert.deepEqual(JSON.parse(String(calls.at(-1)!.init.body)), { model: 'mod', input: ['kill'] });
    assert.equal((calls.at(-1)!.init.headers as Record<string, string>).authorization, 'Bearer sk-client');
  });

  test('a refusal, or an answer without a result per text, rejects', async () => {
    await assert.rejects(createGatewayModerator({ baseUrl: 'http://x', fetch: fetchAnswering(403, { error: {} }) })({ model: 'm', texts: ['a'], credential: undefined, timeoutMs: 1000 }), /403/);
    await assert.rejects(createGatewayModerator({ baseUrl: 'http://x', fetch: fetchAnswering(200, { results: [] }) })({ model: 'm', texts: ['a'], credential: undefined, timeoutMs: 1000 }), /result per input/);
    await assert.rejects(createGatewayModerator({ baseUrl: 'http://x', fetch: fetchAnswering(200, { results: [{}] }) })({ model: 'm', texts: ['a'], credential: undefined, timeoutMs: 1000 }), /flagged/);
  });

  test('a result without flagged (Mistral\'s shape) is flagged when a category is', async () => {
    const mistral = { id: 'x', model: 'mistral-moderation-latest', results: [{ categories: { violence_and_threats: true, pii: false }, category_scores: { violence_and_threats: 0.8, pii: 0.01 } }] };
    const [read] = await createGatewayModerator({ baseUrl: 'http://x', fetch: fetchAnswering(200, mistral) })({ model: 'm', texts: ['a'], credential: undefined, timeoutMs: 1000 });
    assert.equal(read!.flagged, true);
    assert.equal(moderationVerdict([read!], { categories: undefined, threshold: undefined }), 'violence_and_threats');
  });
});

describe('configuration', () => {
  test('a moderation guardrail must name one of the models', () => {
    const yaml = (model: string) => `
providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: KEY } }
models:
  chat: { provider: openai, model: gpt-4o-mini, guardrails: [mod] }
  omni: { provider: openai, model: omni-moderation-latest }
guardrails:
  mod: { type: moderation, model: ${model}, action: block, on_error: open }
`;
    assert.doesNotThrow(() => parseConfiguration(yaml('omni'), {}));
    assert.throws(() => parseConfiguration(yaml('missing'), {}), /guardrails\.mod\.model.*no model 'missing'/s);
    assert.throws(() => parseConfiguration(yaml('omni, timeout: 5s'), {}), /guardrails\.mod\.timeout.*at most "4s"/s);
  });
});

/** A guard with one moderation guardrail answered by `moderate`, and the decisions it made. */
function guardWith(settings: { action?: 'block' | 'log'; on?: ('input' | 'output')[]; on_error?: 'open' | 'closed'; deny?: boolean }, moderate: Moderate | undefined, format: 'openai' | 'anthropic' = 'openai') {
  const guardrails = createGuardrailPolicies({
    guardrails: {
      mod: { type: 'moderation', model: 'omni', action: settings.action ?? 'block', on: settings.on ?? ['output'], timeout: '1s', on_error: settings.on_error ?? 'open' },
      ...(settings.deny ? { deny: { type: 'deny_list', action: 'block', words: ['never'], patterns: [], window: 64, hold_back: 12 } } : {}),
    },
    models: { m: { guardrails: ['mod', ...(settings.deny ? ['deny'] : [])] } },
    keys: [],
  }).forRequest('m', undefined);
  const decisions: GuardrailDecision[] = [];
  const observer = { decided: (decision: GuardrailDecision) => decisions.push(decision), timed() {} };
  return { decisions, guard: new RequestGuard(guardrails, format, { requestId: 'r', keyAlias: 'k', observer, now: () => 0, moderate, credential: 'sk-client' }) };
}

/** A moderator that flags texts saying `kill`, and records what it was asked. */
function fakeModerator() {
  const asked: string[][] = [];
  const moderate: Moderate = async ({ texts }) => {
    asked.push([...texts]);
    return texts.map((text) => (/kill/.test(text) ? result('violence') : result()));
  };
  return { asked, moderate };
}

describe('moderation on input (a classifier)', () => {
  const chat = (content: string) => ({ messages: [{ role: 'system', content: 'You help; kill nothing.' }, { role: 'user', content }] });

  test('user text that the model flags is refused naming the guardrail and category; system text is not sent', async () => {
    const { asked, moderate } = fakeModerator();
    const { guard, decisions } = guardWith({ on: ['input'] }, moderate);
    const refusal = await guard.inspect('chat.completions', chat('how do I kill a process'));
    assert.equal(refusal?.code, 'guardrail_blocked');
    assert.match(refusal!.message, /guardrail 'mod': detector 'violence'/);
    assert.deepEqual(asked, [['how do I kill a process']]);
    assert.deepEqual(decisions.map((decision) => [decision.action, decision.stage]), [['blocked', 'input']]);
    assert.equal(guard.blockedBy, 'mod');
    assert.equal(await guard.inspect('chat.completions', chat('hello')), undefined);
  });

  test('a failed call: closed refuses with 503, open records unavailable and lets the request through', async () => {
    const failing: Moderate = () => Promise.reject(new Error('timeout'));
    const closed = await guardWith({ on: ['input'], on_error: 'closed' }, failing).guard.inspect('chat.completions', chat('hi'));
    assert.equal(closed?.status, 503);
    assert.equal(closed?.code, 'guardrail_unavailable');
    const open = guardWith({ on: ['input'], on_error: 'open' }, failing);
    assert.equal(await open.guard.inspect('chat.completions', chat('hi')), undefined);
    assert.deepEqual(open.decisions.map((decision) => decision.action), ['unavailable']);
  });

  test('never on /v1/moderations itself (its own call would ask again), nor on embeddings', () => {
    const { asked, moderate } = fakeModerator();
    const { guard } = guardWith({ on: ['input', 'output'] }, moderate);
    assert.equal(guard.inspect('moderations', { model: 'omni', input: 'kill' }), undefined);
    assert.equal(guard.inspect('embeddings', { model: 'e', input: 'kill' }), undefined);
    assert.equal(guard.watchesAnswer, false);
    assert.deepEqual(asked, []);
  });
});

describe('moderation on output', () => {
  const answer = (content: string) => Buffer.from(JSON.stringify({ id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));

  test('a whole answer: flagged is emptied with content_filter; log keeps it; a clean one is left alone', async () => {
    const { moderate } = fakeModerator();
    const { guard, decisions } = guardWith({}, moderate);
    guard.inspect('chat.completions', { messages: [{ role: 'user', content: 'hi' }] });
    assert.ok(guard.watchesAnswer);
    const cut = JSON.parse(String(await guard.rewriteBody(answer('I will kill it'))));
    assert.deepEqual([cut.choices[0].message.content, cut.choices[0].finish_reason], ['', 'content_filter']);
    assert.deepEqual(decisions.at(-1), { guardrail: 'mod', detector: 'violence', action: 'cut', stage: 'output', count: 1 });
    assert.equal(guard.cutBy, 'mod');
    const clean = JSON.parse(String(await guard.rewriteBody(answer('fine'))));
    assert.equal(clean.choices[0].message.content, 'fine');
    const logged = guardWith({ action: 'log' }, moderate);
    logged.guard.inspect('chat.completions', { messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(JSON.parse(String(await logged.guard.rewriteBody(answer('kill')))).choices[0].message.content, 'kill');
    assert.equal(logged.decisions.at(-1)?.action, 'logged');
  });

  test('the model is asked about the provider\'s text, placeholders and not the values they stand for', async () => {
    const { asked, moderate } = fakeModerator();
    const guardrails = createGuardrailPolicies({
      guardrails: { pii: { type: 'pii', action: 'mask', detectors: ['email'], phone_region: 'US' }, mod: { type: 'moderation', model: 'omni', action: 'block', on: ['output'], timeout: '1s', on_error: 'open' } },
      models: { m: { guardrails: ['pii', 'mod'] } },
      keys: [],
    }).forRequest('m', undefined);
    const guard = new RequestGuard(guardrails, 'openai', { requestId: 'r', keyAlias: undefined, observer: { decided() {}, timed() {} }, now: () => 0, moderate });
    guard.inspect('chat.completions', { messages: [{ role: 'user', content: 'mail jane@example.com' }] });
    const out = JSON.parse(String(await guard.rewriteBody(answer('Mailing <EMAIL_1>'))));
    assert.equal(out.choices[0].message.content, 'Mailing jane@example.com');
    assert.deepEqual(asked, [['Mailing <EMAIL_1>']]);
  });

  const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm' };
  const openaiStream = (pieces: string[]) =>
    [
      ...pieces.map((content) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`),
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
      `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } })}\n\n`,
      'data: [DONE]\n\n',
    ].join('');
  const read = (wire: string) => {
    const chunks = wire.split('\n\n').filter((event) => event.startsWith('data: {')).map((event) => JSON.parse(event.slice(6)));
    return { text: chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join(''), finish: chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean), usage: chunks.filter((chunk) => chunk.usage).length, done: wire.endsWith('data: [DONE]\n\n') };
  };

  /** Feeds `wire` split at `at` bytes, awaiting a verdict when the filter waits for one. */
  async function run(filter: { push(chunk: Buffer, end: boolean): Buffer | Promise<Buffer> }, wire: Buffer, at: number): Promise<string> {
    return String(await filter.push(wire.subarray(0, at), false)) + String(await filter.push(wire.subarray(at), true));
  }

  test('an OpenAI stream is asked once, before its finish chunk: flagged ends with content_filter, held-back text never delivered; usage and [DONE] pass', async () => {
    const wire = Buffer.from(openaiStream(['We will', ' kill the', ' process now']));
    for (let at = 0; at <= wire.length; at += 11) {
      const { asked, moderate } = fakeModerator();
      const { guard } = guardWith({ deny: true }, moderate);
      guard.inspect('chat.completions', { messages: [{ role: 'user', content: 'hi' }] });
      const out = read(await run(guard.streamFilter(), wire, at));
      assert.deepEqual(asked, [['We will kill the process now']], `split at ${at}`);
      // The deny list's hold-back (12 characters) kept the end back: the cut keeps it from the client.
      assert.equal(out.text, 'We will kill the');
      assert.deepEqual(out.finish, ['content_filter']);
      assert.equal(out.usage, 1);
      assert.ok(out.done);
    }
    const { moderate } = fakeModerator();
    const { guard } = guardWith({}, moderate);
    guard.inspect('chat.completions', { messages: [{ role: 'user', content: 'hi' }] });
    const clean = read(await run(guard.streamFilter(), Buffer.from(openaiStream(['All', ' fine'])), 30));
    assert.deepEqual([clean.text, clean.finish], ['All fine', ['stop']]);
  });

  test('an OpenAI finish chunk that carries the last words: they are asked about too, and not delivered when flagged', async () => {
    const wire = Buffer.from(
      [
        `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: 'We will ' }, finish_reason: null }] })}\n\n`,
        `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: 'kill it' }, finish_reason: 'stop' }] })}\n\n`,
        'data: [DONE]\n\n',
      ].join(''),
    );
    const { asked, moderate } = fakeModerator();
    const { guard } = guardWith({}, moderate);
    guard.inspect('chat.completions', { messages: [{ role: 'user', content: 'hi' }] });
    const out = read(await run(guard.streamFilter(), wire, 20));
    assert.deepEqual(asked, [['We will kill it']]);
    assert.deepEqual([out.text, out.finish], ['We will ', ['content_filter']]);
  });

  test('an OpenAI stream whose call fails: closed cuts, open passes', async () => {
    const failing: Moderate = () => Promise.reject(new Error('down'));
    for (const [onError, finish] of [['closed', 'content_filter'], ['open', 'stop']] as const) {
      const { guard } = guardWith({ on_error: onError }, failing);
      guard.inspect('chat.completions', { messages: [{ role: 'user', content: 'hi' }] });
      assert.deepEqual(read(await run(guard.streamFilter(), Buffer.from(openaiStream(['hello'])), 5)).finish, [finish]);
    }
  });

  test('an Anthropic stream is asked before each text block stops: flagged ends with refusal', async () => {
    const events = [
      ['message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'm', stop_reason: null, usage: { input_tokens: 3, output_tokens: 1 } } }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'I will ki' } }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'll it' } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 't', name: 'f', input: {} } }],
      ['content_block_stop', { type: 'content_block_stop', index: 1 }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } }],
      ['message_stop', { type: 'message_stop' }],
    ]
      .map(([type, data]) => `event: ${type as string}\ndata: ${JSON.stringify(data)}\n\n`)
      .join('');
    const { asked, moderate } = fakeModerator();
    const { guard } = guardWith({}, moderate, 'anthropic');
    guard.inspect('messages', { request: { messages: [{ role: 'user', content: 'hi' }] } });
    const out = (await run(guard.streamFilter(), Buffer.from(events), 200)).split('\n\n').filter(Boolean).map((event) => JSON.parse(event.split('\ndata: ')[1]!));
    assert.deepEqual(asked, [['I will kill it']]);
    assert.deepEqual(out.map((data) => data.type), ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    assert.equal(out.find((data) => data.type === 'message_delta').delta.stop_reason, 'refusal');
  });

  test('without moderation the filter never waits (a Buffer, not a promise)', () => {
    const filter = new AnswerStreamFilter('openai', { newChecker: () => new AnswerTextChecker(new PlaceholderVault(), [] as Extract<Guardrail, { kind: 'deny_list' }>[]), onViolation: () => {} });
    assert.ok(Buffer.isBuffer(filter.push(Buffer.from(openaiStream(['a'])), true)));
  });
});
