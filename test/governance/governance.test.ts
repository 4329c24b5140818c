import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfiguration } from '../../src/config/load.js';
import { buildRuntimeView } from '../../src/config/runtime.js';
import { GatewayError } from '../../src/errors.js';
import { credentialFrom } from '../../src/governance/authenticate.js';
import { Governance } from '../../src/governance/governance.js';
import { generateKeySecret, hashKeySecret, keyIdOf } from '../../src/governance/key-secret.js';
import { createKeyring } from '../../src/governance/keyring.js';
import { modelAllowed } from '../../src/governance/model-pattern.js';
import { promptTokensUpperBound } from '../../src/governance/prompt-upper-bound.js';
import { EMPTY_STATE, fakeGovernanceStore } from '../support/fake-governance-store.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');

function setup(options: { keys?: string; requireKeys?: boolean; policy?: 'deny' | 'allow' } = {}) {
  const configuration = parseConfiguration(
    `
providers:
  p: { kind: openai, base_url: http://127.0.0.1:1/v1 }
  q: { kind: anthropic, base_url: http://127.0.0.1:2/v1 }
models:
  gpt: { provider: p, model: gpt-x }
  chain: { fallback: [{ provider: p, model: cheap }, { provider: q, model: dear }] }
${options.keys ? `keys:\n${options.keys}` : ''}
`,
    {},
  );
  const view = buildRuntimeView(configuration, { environment: {} });
  const store = fakeGovernanceStore();
  const keyring = createKeyring({ declared: configuration.keys, store, requireKeys: options.requireKeys ?? false, cacheTtlMs: 5000 });
  const errors: string[] = [];
  const prices: Record<string, number> = { 'gpt-x': 0.00001, cheap: 0.000001, dear: 0.0001 };
  const governance = new Governance({
    keyring,
    store,
    pricing: {
      maxCost: (target, prompt, output) => (prices[target.model] === undefined ? undefined : (prompt + (output ?? 1000)) * prices[target.model]!),
      cost: (target, usage) => usage.totalTokens * (prices[target.model] ?? 0),
    },
    onStoreUnavailable: options.policy ?? 'deny',
    clock: () => NOW,
    newId: () => 'reservation-1',
    reservationTtlMs: 60_000,
    onStoreError: (operation) => errors.push(operation),
  });
  return { view, store, governance, errors, keyring };
}

/** A 50-byte request asking for at most 100 output tokens. */
const bounds = { promptTokens: 50, maxOutputTokens: 100 };

async function refusal(promise: Promise<unknown> | undefined): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof GatewayError);
    return error;
  }
  assert.fail('expected a refusal');
}

describe('Governance.admit', () => {
  test('an open gateway answers synchronously when no key could match, without asking the store', () => {
    const { governance, view, store } = setup();
    assert.equal(governance.admit({ credential: undefined, route: view.models.get('gpt')!, bounds }), undefined);
    assert.equal(governance.admit({ credential: 'sk-anything', route: view.models.get('gpt')!, bounds }), undefined);
    assert.equal(store.admissions.length, 0);
  });

  test('keys required: missing and unknown keys are 401s', async () => {
    const { governance, view } = setup({ requireKeys: true });
    const route = view.models.get('gpt')!;
    assert.equal((await refusal(governance.admit({ credential: undefined, route, bounds }))).code, 'missing_api_key');
    assert.equal((await refusal(governance.admit({ credential: 'sk-wrong', route, bounds }))).code, 'invalid_api_key');
  });

  test('a declared key with a budget reserves the most the request can cost on any target of the chain', async () => {
    const secret = 'sk-team-a-secret';
    const { governance, view, store } = setup({ keys: `  - { alias: team-a, hash: "${hashKeySecret(secret)}", budget: { usd: 5, period: daily } }` });
    const admission = await governance.admit({ credential: secret, route: view.models.get('chain')!, bounds });
    assert.equal(admission?.key.alias, 'team-a');
    const reserved = store.admissions[0]!;
    assert.equal(reserved.keyId, 'config:team-a');
    assert.ok(Math.abs(reserved.reservationUsd - (50 + 100) * 0.0001) < 1e-12, 'priced at the dearer fallback');
    assert.equal(reserved.now, NOW);
    await governance.settle(admission!, 'chain', 0.002, 30);
    assert.deepEqual(store.settlements[0], { keyId: 'config:team-a', now: NOW, limits: admission!.key.limits, reservationId: 'reservation-1', costUsd: 0.002, tokens: 30, model: 'chain' });
  });

  test('a refused admission becomes the matching error', async () => {
    const secret = 'sk-team-b-secret';
    const { governance, view, store } = setup({ keys: `  - { alias: team-b, hash: "${hashKeySecret(secret)}", requests_per_minute: 2 }` });
    store.next = { admitted: false, reason: 'requests_per_minute', retryAfterSeconds: 12.2, state: { ...EMPTY_STATE, requests: { limit: 2, remaining: 0, resetSeconds: 13 } } };
    const error = await refusal(governance.admit({ credential: secret, route: view.models.get('gpt')!, bounds }));
    assert.equal(error.status, 429);
    assert.equal(error.headers['retry-after'], '13');
    assert.equal(error.headers['x-ratelimit-remaining-requests'], '0');
  });

  test('store unreachable: deny refuses with 503 saying why; allow lets the request through unchecked', async () => {
    const secret = 'sk-team-c-secret';
    const keys = `  - { alias: team-c, hash: "${hashKeySecret(secret)}", requests_per_minute: 2 }`;
    const denied = setup({ keys });
    denied.store.next = 'unavailable';
    const error = await refusal(denied.governance.admit({ credential: secret, route: denied.view.models.get('gpt')!, bounds }));
    assert.equal(error.status, 503);
    assert.equal(error.code, 'governance_store_unavailable');
    assert.match(error.message, /limit store is unreachable/);
    const allowed = setup({ keys, policy: 'allow' });
    allowed.store.next = 'unavailable';
    const admission = await allowed.governance.admit({ credential: secret, route: allowed.view.models.get('gpt')!, bounds });
    assert.equal(admission?.unchecked, true);
    assert.deepEqual(allowed.errors, ['admit']);
  });

  test('a budgeted key may not use an unpriced model', async () => {
    const secret = 'sk-team-d-secret';
    const { governance, view } = setup({ keys: `  - { alias: team-d, hash: "${hashKeySecret(secret)}", budget: { usd: 5 } }` });
    const unpriced = { ...view.models.get('gpt')!, targets: [{ ...view.models.get('gpt')!.targets[0]!, model: 'mystery' }] };
    assert.equal((await refusal(governance.admit({ credential: secret, route: unpriced, bounds }))).code, 'model_not_priced');
  });
});

describe('keys', () => {
  test('generated keys carry their id; only the hash is kept, and lookups check it', async () => {
    const generated = generateKeySecret();
    assert.equal(keyIdOf(generated.secret), generated.id);
    assert.equal(generated.hash, hashKeySecret(generated.secret));
    const { store, keyring } = setup();
    await store.saveKey({ id: generated.id, hash: generated.hash, alias: 'k', models: [], limits: {}, expiresAt: undefined, revokedAt: undefined, createdAt: NOW, metadata: {} });
    assert.equal((await keyring.find(generated.secret, NOW))?.alias, 'k');
    const forged = `${generated.secret.slice(0, -2)}xx`;
    assert.equal(await keyring.find(forged, NOW), undefined, 'the right id with the wrong secret is no key');
  });

  test('credentials come from Authorization: Bearer or x-api-key', () => {
    assert.equal(credentialFrom({ authorization: 'Bearer sk-1' }), 'sk-1');
    assert.equal(credentialFrom({ authorization: 'bearer  sk-2 ' }), 'sk-2');
    assert.equal(credentialFrom({ 'x-api-key': 'sk-3' }), 'sk-3');
    assert.equal(credentialFrom({}), undefined);
  });

  test('model patterns', () => {
    assert.ok(modelAllowed([], 'anything'));
    assert.ok(modelAllowed(['gpt-*'], 'gpt-4o'));
    assert.ok(!modelAllowed(['gpt-*'], 'claude-3'));
    assert.ok(modelAllowed(['claude-*', 'gpt-4.1'], 'gpt-4.1'));
    assert.ok(!modelAllowed(['gpt-4.1'], 'gpt-441'), 'dots are literal');
  });

  test('the prompt bound counts bytes and images', () => {
    const withImage = { model: 'm', messages: [{ role: 'user' as const, content: [{ type: 'image_url' as const, image_url: { url: 'https://x/y.png' } }] }] };
    assert.equal(promptTokensUpperBound(withImage, 100), 3100);
  });
});
