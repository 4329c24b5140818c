import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { gate, heldUntil, settled, streamHeldUntil } from '../support/faults.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { MOCK_USAGE, startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';
import { seriesValue } from '../support/prometheus-text.js';

/**
 * Virtual keys, model access, rate limits, parallel limits and budgets, enforced before any
 * upstream call and refused with the error the OpenAI SDK maps to the right class.
 */
const PROVIDER_KEY = 'sk-provider-governance';
const ADMIN_KEY = 'admin-secret-for-tests-0123456789';
const secrets = {
  open: 'sk-test-open-0123456789',
  limited: 'sk-test-limited-0123456789',
  tokens: 'sk-test-tokens-0123456789',
  parallel: 'sk-test-parallel-0123456789',
  narrow: 'sk-test-narrow-0123456789',
  expired: 'sk-test-expired-0123456789',
  budget: 'sk-test-budget-0123456789',
};
// $1000 per million output tokens = $0.001 a token; input is free. A request with max_tokens 1000
// therefore reserves exactly $1.00, and a $10 budget holds exactly ten of them in flight.
const OUTPUT_USD_PER_TOKEN = 0.001;

describe('governance through Envoy (memory store)', () => {
  let upstream: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  const client = (secret: string | undefined) => new OpenAI({ apiKey: secret ?? 'none', baseURL: gateway.baseURL, maxRetries: 0, ...(secret === undefined ? { defaultHeaders: { authorization: null } } : {}) });
  const ask = (secret: string | undefined, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
    client(secret).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], ...extra });
  const admin = (method: string, path: string, body?: unknown, key = ADMIN_KEY) =>
    fetch(`http://127.0.0.1:${gateway.sidecarAdminPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    gateway = await startGateway({
      providers: { mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'MOCK_KEY' } } },
      models: { 'gpt-test': { provider: 'mock', model: 'gpt-upstream' }, 'other-model': { provider: 'mock', model: 'gpt-upstream' } },
      environment: { MOCK_KEY: PROVIDER_KEY, ADMIN_KEY },
      governance: { admin_key: { env: 'ADMIN_KEY' } },
      prices: { 'mock/gpt-upstream': { input: 0, output: OUTPUT_USD_PER_TOKEN * 1e6 } },
      keys: [
        { alias: 'open', hash: hashKeySecret(secrets.open), metadata: { team: 'platform' } },
        { alias: 'limited', hash: hashKeySecret(secrets.limited), requests_per_minute: 3 },
        { alias: 'tokens', hash: hashKeySecret(secrets.tokens), tokens_per_minute: 30 },
        { alias: 'parallel', hash: hashKeySecret(secrets.parallel), max_parallel: 1 },
        { alias: 'narrow', hash: hashKeySecret(secrets.narrow), models: ['other-*'] },
        { alias: 'expired', hash: hashKeySecret(secrets.expired), expires_at: '2020-01-01T00:00:00Z' },
        { alias: 'budget', hash: hashKeySecret(secrets.budget), budget: { usd: 10, period: 'daily' } },
      ],
    });
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  beforeEach(() => upstream.resetScript());

  test('no key, an unknown key and an expired key are AuthenticationErrors; nothing is forwarded', async () => {
    const before = upstream.requests.length;
    const cases: [string | undefined, string][] = [
      [undefined, 'missing_api_key'],
      ['sk-not-a-key', 'invalid_api_key'],
      [secrets.expired, 'expired_api_key'],
    ];
    for (const [secret, code] of cases) {
      await assert.rejects(ask(secret), (error: unknown) => {
        assert.ok(error instanceof OpenAI.AuthenticationError, `${code}: got ${String(error)}`);
        assert.equal(error.code, code);
        return true;
      });
    }
    const anthropicStyle = await fetch(`${gateway.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': secrets.open },
      body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(anthropicStyle.status, 200, 'x-api-key works too');
    await anthropicStyle.text();
    assert.equal(upstream.requests.length, before + 1);
    assert.equal(upstream.requests.at(-1)!.headers['x-api-key'], undefined, 'the gateway key never reaches the provider');
  });

  test('a model the key may not use is a PermissionDeniedError naming both', async () => {
    await assert.rejects(ask(secrets.narrow), (error: unknown) => {
      assert.ok(error instanceof OpenAI.PermissionDeniedError);
      assert.equal(error.code, 'model_not_allowed');
      assert.match(error.message, /'narrow'.*'gpt-test'/);
      return true;
    });
    assert.ok((await ask(secrets.narrow, { model: 'other-model' })).choices.length > 0);
  });

  test('requests per minute: x-ratelimit headers mean what OpenAI\'s mean, then a RateLimitError whose Retry-After is the true wait', async () => {
    const remaining = [];
    const resets = [];
    for (let index = 0; index < 3; index += 1) {
      const { response } = await ask(secrets.limited).withResponse();
      assert.equal(response.headers.get('x-ratelimit-limit-requests'), '3');
      remaining.push(response.headers.get('x-ratelimit-remaining-requests'));
      resets.push(goDurationSeconds(response.headers.get('x-ratelimit-reset-requests')!));
    }
    assert.deepEqual(remaining, ['2', '1', '0']);
    // Each request comes back 20 s after the last: the limit is full again 20, 40, 60 s after each (less the time between them).
    for (const [index, reset] of resets.entries()) assert.ok(reset > 20 * (index + 1) - 10 && reset <= 20 * (index + 1), `reset ${index + 1}: ${reset} s`);
    await assert.rejects(ask(secrets.limited), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.code, 'rate_limit_exceeded');
      assert.match(error.message, /'limited': 3 requests per minute\. Retry after \d+ s\./);
      const retryAfter = Number(error.headers?.get('retry-after'));
      // The first of the three comes back 20 s after it was admitted: never more than that, let alone a minute.
      assert.ok(retryAfter >= 1 && retryAfter <= 20, `retry-after ${retryAfter}`);
      assert.ok(error.message.includes(`Retry after ${retryAfter} s.`));
      assert.equal(error.headers?.get('x-ratelimit-remaining-requests'), '0');
      return true;
    });
  });

  test('tokens per minute are counted from metered tokens', async () => {
    await ask(secrets.tokens); // 18 tokens
    await ask(secrets.tokens); // 36: over 30, but it was admitted while the window held 18
    await assert.rejects(ask(secrets.tokens), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.match(error.message, /'tokens': 30 tokens per minute/);
      assert.equal(error.headers?.get('x-ratelimit-limit-tokens'), '30');
      return true;
    });
  });

  test('max parallel requests: a second request while one streams is refused; after it ends, one passes', async () => {
    const latch = gate();
    upstream.respondWith(streamHeldUntil(latch));
    const stream = await client(secrets.parallel).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'slow' }], stream: true });
    await assert.rejects(ask(secrets.parallel), (error: unknown) => {
      assert.ok(error instanceof OpenAI.RateLimitError);
      assert.equal(error.code, 'too_many_parallel_requests');
      return true;
    });
    latch.open();
    for await (const chunk of stream) void chunk;
    await waitFor('the slot to be released', async () => {
      try {
        await ask(secrets.parallel);
        return true;
      } catch {
        return false;
      }
    });
  });

  test('50 parallel requests against a budget that holds 10: exactly 10 reach the upstream, the rest get a 402 naming the budget', async () => {
    const before = upstream.requests.length;
    // Admitted requests are held at the upstream until every one of the 50 has been decided, so
    // no reservation can be settled (and its room reused) while others are still being admitted.
    const latch = gate();
    upstream.respondWith(...Array.from({ length: 50 }, () => heldUntil(latch)));
    let decided = 0;
    const pending = Array.from({ length: 50 }, () => settled(ask(secrets.budget, { max_tokens: 1000 }), () => (decided += 1)));
    await waitFor('every request to be refused or forwarded', () => decided + (upstream.requests.length - before) === 50);
    latch.open();
    const results = await Promise.all(pending);
    const admitted = results.filter((result) => result.status === 'fulfilled');
    const refused = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    assert.equal(admitted.length, 10);
    assert.equal(upstream.requests.length - before, 10, 'only admitted requests reached the upstream');
    for (const { reason } of refused) {
      assert.ok(reason instanceof OpenAI.APIError);
      assert.equal(reason.status, 402);
      assert.equal(reason.code, 'budget_exceeded');
      // Ten requests in flight hold it all: the 402 says so rather than call the budget exhausted.
      assert.match(reason.message, /^402 Budget for key 'budget' is fully held by requests in flight: the daily budget for \d{4}-\d{2}-\d{2} is \$10\.00, \$0\.0000 spent and \$10\.00 held/);
    }
    // Every request settled: nothing is held any more, and what was spent is what was metered.
    await waitFor('settlement', async () => {
      const inspect = (await (await admin('GET', `/admin/keys/config:budget`)).json()) as any;
      return inspect.usage.budget.reservedUsd === 0;
    });
    const inspect = (await (await admin('GET', `/admin/keys/config:budget`)).json()) as any;
    const expectedSpend = 10 * MOCK_USAGE.completion_tokens * OUTPUT_USD_PER_TOKEN;
    assert.ok(Math.abs(inspect.usage.budget.spentUsd - expectedSpend) < 1e-9, `spent ${inspect.usage.budget.spentUsd}`);
    assert.ok(inspect.usage.budget.spentUsd <= 10);
    assert.ok(Math.abs(inspect.usage.budget.remainingUsd - (10 - expectedSpend)) < 1e-9);
  });

  test('a 402 for a request whose worst case does not fit says so, not "exhausted", and which max_tokens fits', async () => {
    const inspect = (await (await admin('GET', '/admin/keys/config:budget')).json()) as any;
    assert.equal(inspect.usage.budget.reservedUsd, 0);
    const left = inspect.usage.budget.remainingUsd as number;
    // Input is free, output $0.001 a token: max_tokens N holds $0.001 × N.
    const fits = Math.floor(Math.round(left * 1e6) / (OUTPUT_USD_PER_TOKEN * 1e6));
    const before = upstream.requests.length;
    await assert.rejects(ask(secrets.budget, { max_tokens: 20_000 }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError && error.status === 402, String(error));
      assert.equal(error.code, 'budget_exceeded');
      assert.equal(error.param, 'max_tokens');
      assert.doesNotMatch(error.message, /exhausted/i);
      assert.match(error.message, /^402 This request may cost up to \$20\.00 .*Nothing was charged/);
      assert.match(error.message, new RegExp(`max_tokens \\(or max_completion_tokens\\) at most ${fits} fits`));
      return true;
    });
    assert.equal(upstream.requests.length, before, 'nothing reached the provider');
    assert.ok((await ask(secrets.budget, { max_tokens: fits })).choices.length > 0, 'the max_tokens the 402 named is admitted');
  });

  test('admin API: create (secret shown once), use, inspect, update, revoke, spend', async () => {
    assert.equal((await admin('POST', '/admin/keys', { alias: 'x' }, 'wrong-admin-key')).status, 401);
    const created = await admin('POST', '/admin/keys', { alias: 'runtime-team', models: ['gpt-*'], requests_per_minute: 100, budget: { usd: 50, period: 'monthly' }, metadata: { team: 'search' } });
    assert.equal(created.status, 201);
    const key = (await created.json()) as any;
    assert.match(key.key, /^sk-gw-[a-z0-9]{10}-/);
    assert.equal(key.alias, 'runtime-team');
    assert.equal((await admin('POST', '/admin/keys', { alias: 'runtime-team' })).status, 409, 'aliases are unique');

    const { response } = await ask(key.key).withResponse();
    assert.equal(response.headers.get('x-ratelimit-limit-requests'), '100');
    // 99 of 100 left: the one used comes back in 60 s / 100, so the limit is not "reset" (0s) yet.
    assert.equal(response.headers.get('x-ratelimit-remaining-requests'), '99');
    assert.equal(response.headers.get('x-ratelimit-reset-requests'), '600ms');

    const listed = (await (await admin('GET', '/admin/keys')).json()) as any;
    const entry = listed.data.find((item: any) => item.id === key.id);
    assert.equal(entry.alias, 'runtime-team');
    assert.equal(entry.key, undefined, 'the secret is never shown again');
    assert.ok(!JSON.stringify(listed).includes(key.key));

    await waitFor('spend to be recorded', async () => ((await (await admin('GET', `/admin/keys/${key.id}`)).json()) as any).spend_this_month.length === 1);
    const inspected = (await (await admin('GET', `/admin/keys/${key.id}`)).json()) as any;
    assert.equal(inspected.spend_this_month[0].model, 'gpt-test');
    assert.equal(inspected.spend_this_month[0].requests, 1);
    assert.equal(inspected.spend_this_month[0].tokens, MOCK_USAGE.total_tokens);
    // No max_tokens was asked for, so the reservation assumed governance.default_max_output_tokens (16384): $16.38 of the $50.
    assert.ok(Math.abs(inspected.usage.budget.remainingUsd - (50 - MOCK_USAGE.completion_tokens * OUTPUT_USD_PER_TOKEN)) < 1e-9);

    const updated = await admin('PATCH', `/admin/keys/${key.id}`, { requests_per_minute: 1 });
    assert.equal(updated.status, 200);
    assert.equal(((await updated.json()) as any).requests_per_minute, 1);
    await assert.rejects(ask(key.key), (error: unknown) => error instanceof OpenAI.RateLimitError);

    const revoked = await admin('DELETE', `/admin/keys/${key.id}`);
    assert.equal(revoked.status, 200);
    await assert.rejects(ask(key.key), (error: unknown) => error instanceof OpenAI.AuthenticationError && error.code === 'revoked_api_key');

    const spend = (await (await admin('GET', `/admin/spend?key=${key.id}`)).json()) as any;
    assert.equal(spend.data.length, 1);
    assert.equal(spend.data[0].key_alias, 'runtime-team');
  });

  test('metrics: spend and tokens by key and model, refusals by reason, remaining budget', async () => {
    const before = await gateway.sidecarMetrics();
    await ask(secrets.open);
    await assert.rejects(ask(undefined), (error: unknown) => error instanceof OpenAI.AuthenticationError);
    await waitFor('the request to be metered', async () =>
      seriesValue(await gateway.sidecarMetrics(), 'llm_gateway_key_tokens_total', { key_alias: 'open' }) > seriesValue(before, 'llm_gateway_key_tokens_total', { key_alias: 'open' }),
    );
    const after = await gateway.sidecarMetrics();
    const delta = (name: string, labels: Record<string, string>) => seriesValue(after, name, labels) - seriesValue(before, name, labels);
    const open = { key_alias: 'open', gen_ai_request_model: 'gpt-test' };
    assert.ok(Math.abs(delta('llm_gateway_spend_usd_total', open) - MOCK_USAGE.completion_tokens * OUTPUT_USD_PER_TOKEN) < 1e-9);
    assert.equal(delta('llm_gateway_key_tokens_total', open), MOCK_USAGE.total_tokens);
    assert.equal(delta('llm_gateway_refusals_total', { reason: 'missing_api_key' }), 1);
    // After a budgeted request settles, the gauge says what the admin API says is left of the key's daily budget.
    await ask(secrets.budget, { max_tokens: 10 });
    await waitFor('the remaining budget gauge to match the store', async () => {
      const inspect = (await (await admin('GET', '/admin/keys/config:budget')).json()) as any;
      const gauge = seriesValue(await gateway.sidecarMetrics(), 'llm_gateway_budget_remaining_usd', { key_alias: 'budget' });
      return inspect.usage.budget.reservedUsd === 0 && Math.abs(gauge - inspect.usage.budget.remainingUsd) < 1e-9 && gauge < 10;
    });
    const logs = gateway.sidecarLogs() + gateway.envoyLogs();
    for (const secret of [...Object.values(secrets), ADMIN_KEY, PROVIDER_KEY]) assert.ok(!logs.includes(secret), 'a secret is in a log line');
  });
});

/** Seconds in a Go duration as OpenAI's x-ratelimit-reset-* carry it ("600ms", "19.98s", "1m0s"). */
function goDurationSeconds(text: string): number {
  const match = /^(?:(\d+)m(?!s))?(?:([\d.]+)s)?$|^(\d+)ms$/.exec(text);
  assert.ok(match && text !== '', `not a Go duration: ${text}`);
  if (match[3] !== undefined) return Number(match[3]) / 1000;
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
}
