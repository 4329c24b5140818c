import { chatCompletionsEndpoint } from '../../src/endpoints/chat-completions-endpoint.js';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfiguration } from '../../src/config/load.js';
import { buildRuntimeView } from '../../src/config/runtime.js';
import { GatewayError } from '../../src/errors.js';
import { fittingMaxTokens } from '../../src/governance/fitting-max-tokens.js';
import { Governance } from '../../src/governance/governance.js';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { createKeyring } from '../../src/governance/keyring.js';
import { createMemoryGovernanceStore } from '../../src/stores/memory-governance-store.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const SECRET = 'sk-budget-refusal-secret';
// $0.00001 a token, prompt and output alike; the prompt bound is the body's size in bytes.
const PRICE = 0.00001;
const BODY_BYTES = 50;

/** A $5 total budget on a real (memory) store, so the 402 speaks of the store's own counters. */
function setup() {
  const configuration = parseConfiguration(
    `
providers:
  p: { kind: openai, base_url: http://127.0.0.1:1/v1 }
models:
  gpt: { provider: p, model: gpt-x }
keys:
  - { alias: team, hash: "${hashKeySecret(SECRET)}", budget: { usd: 5, period: total } }
`,
    {},
  );
  const view = buildRuntimeView(configuration, { environment: {} });
  const store = createMemoryGovernanceStore();
  let id = 0;
  const governance = new Governance({
    keyring: createKeyring({ declared: configuration.keys, store, requireKeys: true, cacheTtlMs: 5000 }),
    store,
    pricing: { maxCost: (_target, prompt, output) => (prompt + (output ?? 1000)) * PRICE, cost: (_target, usage) => usage.totalTokens * PRICE },
    onStoreUnavailable: 'deny',
    clock: () => NOW,
    newId: () => {
      id += 1;
      return `reservation-${id}`;
    },
    reservationTtlMs: 60_000,
    onStoreError: () => undefined,
  });
  const admit = (maxTokens: number) =>
    governance.admit({ credential: SECRET, route: view.models.get('gpt')!, bounds: chatCompletionsEndpoint.admissionBounds({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }], max_tokens: maxTokens }, BODY_BYTES) })!;
  return { governance, admit };
}

async function refusalOf(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => assert.fail('expected a 402'),
    (failure: unknown) => failure,
  );
  assert.ok(error instanceof GatewayError);
  assert.equal(error.status, 402);
  assert.equal(error.code, 'budget_exceeded');
  return error;
}

describe('a budget refusal says what refused the request', () => {
  test('nothing spent, but this request’s worst case is more than the budget: it says so, and which max_tokens fits', async () => {
    const { admit } = setup();
    // (50 + 1,000,000) × $0.00001 = $10.0005 worst case, against $5 with nothing spent.
    const error = await refusalOf(admit(1_000_000));
    assert.doesNotMatch(error.message, /exhausted/i);
    assert.match(error.message, /^This request may cost up to \$10\.00 .* more than the \$5\.00 left of key 'team's budget: the total budget is \$5\.00, \$0\.0000 spent and \$0\.0000 held/);
    assert.match(error.message, /Nothing was charged/);
    // (50 + M) × $0.00001 <= $5 up to M = 499,950.
    assert.match(error.message, /max_tokens \(or max_completion_tokens\) at most 499950 fits/);
    assert.equal(error.param, 'max_tokens');
    // The advice is true: that max_tokens is admitted, one more would not have been.
    await refusalOf(admit(499_951));
    assert.ok(await admit(499_950));
  });

  test('the budget fully held by requests in flight is told apart from spend', async () => {
    const { admit } = setup();
    assert.ok(await admit(499_950));
    const error = await refusalOf(admit(1));
    assert.match(error.message, /^Budget for key 'team' is fully held by requests in flight: the total budget is \$5\.00, \$0\.0000 spent and \$5\.00 held by requests in flight, leaving \$0\.0000\./);
    assert.equal(error.param, null);
  });

  test('spend that has reached the budget is "exhausted"', async () => {
    const { admit, governance } = setup();
    const admission = (await admit(499_950))!;
    await governance.settle(admission, 'gpt', 5, 500_000);
    const error = await refusalOf(admit(1));
    assert.match(error.message, /^Budget exhausted for key 'team': the total budget is \$5\.00, \$5\.00 spent and \$0\.0000 held by requests in flight, leaving \$0\.0000\. It does not reset\.$/);
  });

  test('when not even one output token fits, it says the prompt alone may cost more than is left', async () => {
    const { admit, governance } = setup();
    const admission = (await admit(10))!;
    // $4.99999 spent leaves $0.00001: less than the 51-token worst case ($0.00051) of a max_tokens 1.
    await governance.settle(admission, 'gpt', 4.99999, 10);
    const error = await refusalOf(admit(1));
    assert.match(error.message, /Not even max_tokens 1 fits: the prompt alone may cost more than is left\./);
    assert.equal(error.param, null);
  });
});

describe('fittingMaxTokens', () => {
  const linear = (perToken: number, fixed: number) => (maxTokens: number) => fixed + maxTokens * perToken;

  test('the largest value whose worst case fits, compared to the micro-dollar', () => {
    assert.equal(fittingMaxTokens(linear(0.001, 0.5), 1, undefined), 500);
    assert.equal(fittingMaxTokens(linear(0.001, 0.5), 0.999999, undefined), 499);
    assert.equal(fittingMaxTokens(linear(0.000001, 0), 1, undefined), 1_000_000);
  });

  test('never the value that was refused or more, and undefined when 1 does not fit', () => {
    assert.equal(fittingMaxTokens(linear(0, 0.1), 1, 300), 299);
    assert.equal(fittingMaxTokens(linear(0.001, 2), 1, undefined), undefined);
  });
});
