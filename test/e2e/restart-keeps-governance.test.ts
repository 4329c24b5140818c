import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { gate, streamHeldUntil } from '../support/faults.js';
import { startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { MOCK_USAGE, startMockOpenAIUpstream, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';

/**
 * The default store (SQLite) keeps what operators created across a restart of the sidecar:
 * keys issued through the admin API, their revocations, changes, spend and budgets. A crash
 * (SIGKILL) mid-request does not leave the key's parallel slot or budget held afterwards.
 * Each change made through the admin API is in the audit log.
 */
const PROVIDER_KEY = 'sk-provider-restart';
const ADMIN_KEY = 'admin-secret-for-restart-0123456789';
// $1000 per million output tokens: a request's spend is visible to the micro-dollar.
const OUTPUT_USD_PER_TOKEN = 0.001;

describe('a restart of the gateway (default SQLite store)', () => {
  let upstream: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  const client = (secret: string) => new OpenAI({ apiKey: secret, baseURL: gateway.baseURL, maxRetries: 0 });
  const ask = (secret: string) => client(secret).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], max_tokens: 100 });
  const admin = async (method: string, path: string, body?: unknown): Promise<any> => {
    const response = await fetch(`http://127.0.0.1:${gateway.sidecarAdminPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    assert.ok(response.ok, `${method} ${path}: ${response.status}`);
    return response.json();
  };

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: PROVIDER_KEY });
    gateway = await startGateway({
      providers: { mock: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'MOCK_KEY' } } },
      models: { 'gpt-test': { provider: 'mock', model: 'gpt-upstream' } },
      environment: { MOCK_KEY: PROVIDER_KEY, ADMIN_KEY },
      // No store named: the default is what is under test.
      governance: { admin_key: { env: 'ADMIN_KEY' } },
      prices: { 'mock/gpt-upstream': { input: 0, output: OUTPUT_USD_PER_TOKEN * 1e6 } },
    });
  });

  after(async () => {
    await gateway?.stop();
    await upstream?.close();
  });

  test('keys created, changed and revoked through the admin API, and their spend, are all there after a crash and a restart', async () => {
    const kept = await admin('POST', '/admin/keys', { alias: 'kept', models: ['gpt-*'], max_parallel: 1, budget: { usd: 1, period: 'monthly' } });
    const revoked = await admin('POST', '/admin/keys', { alias: 'revoked' });
    await ask(kept.key);
    await ask(revoked.key);
    await admin('PATCH', `/admin/keys/${kept.id}`, { metadata: { team: 'search' } });
    await admin('DELETE', `/admin/keys/${revoked.id}`);
    await waitFor('both requests to be settled', async () => (await admin('GET', `/admin/keys/${kept.id}`)).spend_this_month.length === 1 && (await admin('GET', `/admin/keys/${revoked.id}`)).spend_this_month.length === 1);
    const before = await admin('GET', `/admin/keys/${kept.id}`);
    // Every change is in the audit log: who, what, when, and no secret.
    const auditLines = () => gateway.sidecarLogLines().filter((line) => line.event === 'admin_audit');
    await waitFor('the audit lines to be written', () => auditLines().length >= 4, () => gateway.sidecarLogs());
    // In the order the changes were made (their `at`): with sidecar workers, lines from different processes reach the log in no set order.
    const audit = gateway
      .sidecarLogLines()
      .filter((line) => line.event === 'admin_audit')
      .sort((a, b) => Date.parse(String(a.at)) - Date.parse(String(b.at)))
      .map(({ action, actor, key_id, key_alias, changed, at }) => ({ action, actor, key_id, key_alias, changed, at: typeof at === 'string' && !Number.isNaN(Date.parse(at)) }));
    assert.deepEqual(audit, [
      { action: 'key.created', actor: 'governance.admin_key', key_id: kept.id, key_alias: 'kept', changed: [], at: true },
      { action: 'key.created', actor: 'governance.admin_key', key_id: revoked.id, key_alias: 'revoked', changed: [], at: true },
      { action: 'key.updated', actor: 'governance.admin_key', key_id: kept.id, key_alias: 'kept', changed: ['metadata'], at: true },
      { action: 'key.revoked', actor: 'governance.admin_key', key_id: revoked.id, key_alias: 'revoked', changed: [], at: true },
    ]);
    for (const secret of [kept.key, revoked.key, ADMIN_KEY]) assert.ok(!gateway.sidecarLogs().includes(secret), 'a secret in the sidecar log');

    // A stream is in flight on the key's only parallel slot, holding $0.10 of its budget, when the sidecar is killed.
    const latch = gate();
    upstream.respondWith(streamHeldUntil(latch));
    const stream = await client(kept.key).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'slow' }], max_tokens: 100, stream: true });
    await waitFor('the stream to hold the slot', async () => (await admin('GET', `/admin/keys/${kept.id}`)).usage.budget.reservedUsd > 0);
    await gateway.killSidecar('SIGKILL');
    latch.open();
    await (async () => {
      for await (const chunk of stream) void chunk;
    })().catch(() => undefined);
    upstream.resetScript();
    await gateway.startSidecar();

    const after = await admin('GET', `/admin/keys/${kept.id}`);
    assert.equal(after.alias, 'kept');
    assert.deepEqual(after.metadata, { team: 'search' }, 'the change made before the restart');
    assert.deepEqual(after.spend_this_month, before.spend_this_month);
    assert.equal(after.spend_this_month[0].tokens, MOCK_USAGE.total_tokens);
    assert.equal(after.usage.budget.spentUsd, before.usage.budget.spentUsd);
    assert.ok(Math.abs(after.usage.budget.spentUsd - MOCK_USAGE.completion_tokens * OUTPUT_USD_PER_TOKEN) < 1e-9);
    assert.equal(after.usage.budget.reservedUsd, 0, 'the crashed request holds nothing after the restart');
    const listed = (await admin('GET', '/admin/keys')).data.map((key: any) => key.alias);
    assert.ok(listed.includes('kept') && listed.includes('revoked'), listed.join(', '));
    assert.equal((await admin('GET', `/admin/keys/${revoked.id}`)).spend_this_month[0].requests, 1);

    // The crashed stream's parallel slot is free at once, not an hour later.
    assert.ok((await ask(kept.key)).choices.length > 0);
    await assert.rejects(ask(revoked.key), (error: unknown) => error instanceof OpenAI.AuthenticationError && error.code === 'revoked_api_key');
  });
});
