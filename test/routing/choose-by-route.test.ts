import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TargetChoice } from '../../src/capabilities/choose-targets.js';
import { parseConfiguration } from '../../src/config/load.js';
import type { TargetRuntime } from '../../src/config/runtime.js';
import { chooseByRoute } from '../../src/routing/choose-by-route.js';
import type { RequestFacts } from '../../src/routing/match-rule.js';
import { requestText } from '../../src/routing/request-text.js';

/** A route's rules in order: the first match chooses, a cost rule with nothing able to serve falls through, else the default. */
const configuration = parseConfiguration(
  `
providers:
  p: { kind: openai, base_url: https://example.test/v1 }
models:
  coder: { provider: p, model: coder }
  long: { provider: p, model: long }
  cheap: { provider: p, model: cheap, tier: 1 }
  good: { provider: p, model: good, tier: 2 }
  general: { provider: p, model: general }
routes:
  auto:
    rules:
      - { name: code, when: { last_user_message: { keywords: [python] } }, model: coder }
      - { name: long, when: { prompt_tokens: { min: 1000 } }, model: long }
      - { name: low, when: { headers: { x-priority: low } }, cheapest: [good, cheap] }
      - { name: low-good, when: { headers: { x-priority: low } }, cheapest: [good, cheap], min_tier: 2 }
      - { name: quick, when: { headers: { x-priority: high } }, fastest: [cheap, good] }
    default: general
`,
  {},
);
const choice = (model: string | undefined): TargetChoice => ({ usable: model ? [{ id: model, model } as unknown as TargetRuntime] : [], prepared: new Map(), skipped: new Map(), refusal: undefined, tooLongForAll: false });
const PRICE: Record<string, number> = { cheap: 1, good: 2 };

function decide(content: string, options: { headers?: Record<string, string>; tokens?: number; cannotServe?: string[]; latencyMs?: Record<string, number> } = {}) {
  const request = { messages: [{ role: 'user', content }] };
  const facts: RequestFacts = {
    text: () => requestText(request),
    needs: { uses: {}, maxOutputTokens: undefined },
    stream: false,
    headers: options.headers ?? {},
    key: undefined,
    promptUpperBound: content.length,
    countPrompt: async () => options.tokens ?? content.length,
  };
  const latency = options.latencyMs;
  return chooseByRoute(configuration, 'auto', facts, {
    serves: (alias) => choice(options.cannotServe?.includes(alias) ? undefined : alias),
    cost: (target) => PRICE[target.model],
    ...(latency === undefined ? {} : { latency: (target) => latency[target.model], random: () => 0.5 }),
  });
}

describe('chooseByRoute', () => {
  test('a model name that is not a route: undefined', () => {
    const facts = {} as RequestFacts;
    assert.equal(chooseByRoute(configuration, 'coder', facts, { serves: () => choice(undefined), cost: () => undefined }), undefined);
  });

  test('the first matching rule chooses', () => {
    assert.deepEqual(decide('fix my python', { headers: { 'x-priority': 'low' } }), { route: 'auto', rule: 'code', model: 'coder', reason: 'rule' });
  });

  test('no rule matches: the default', () => {
    assert.deepEqual(decide('hello'), { route: 'auto', rule: 'default', model: 'general', reason: 'default' });
  });

  test('a token range that needs counting answers asynchronously', async () => {
    const long = 'x'.repeat(2000);
    assert.deepEqual(await decide(long, { tokens: 1500 }), { route: 'auto', rule: 'long', model: 'long', reason: 'rule' });
    assert.deepEqual(await decide(long, { tokens: 500 }), { route: 'auto', rule: 'default', model: 'general', reason: 'default' });
  });

  test('cheapest: the cheapest able to serve, with its estimate', () => {
    assert.deepEqual(decide('hello', { headers: { 'x-priority': 'low' } }), { route: 'auto', rule: 'low', model: 'cheap', reason: 'cheapest', estimatedCostUsd: 1 });
    assert.deepEqual(decide('hello', { headers: { 'x-priority': 'low' }, cannotServe: ['cheap'] }), { route: 'auto', rule: 'low', model: 'good', reason: 'cheapest', estimatedCostUsd: 2 });
  });

  test('a cost rule none of whose candidates can serve falls through to the next rule, then the default', () => {
    assert.deepEqual(decide('hello', { headers: { 'x-priority': 'low' }, cannotServe: ['cheap', 'good'] }), { route: 'auto', rule: 'default', model: 'general', reason: 'default' });
  });

  test('fastest: the candidate with the lowest score, with it and the reason', () => {
    const high = { 'x-priority': 'high' };
    assert.deepEqual(decide('hello', { headers: high, latencyMs: { cheap: 900, good: 200 } }), { route: 'auto', rule: 'quick', model: 'good', reason: 'fastest', latencyMs: 200 });
    // Without measurements (no tracker): the first candidate that can serve, unmeasured.
    assert.deepEqual(decide('hello', { headers: high }), { route: 'auto', rule: 'quick', model: 'cheap', reason: 'unmeasured', latencyMs: undefined });
    assert.deepEqual(decide('hello', { headers: high, cannotServe: ['cheap'], latencyMs: { cheap: 1, good: 200 } }), { route: 'auto', rule: 'quick', model: 'good', reason: 'fastest', latencyMs: 200 });
    assert.deepEqual(decide('hello', { headers: high, cannotServe: ['cheap', 'good'] }), { route: 'auto', rule: 'default', model: 'general', reason: 'default' });
  });
});
