import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createGuardrailPolicies } from '../../src/guardrails/guardrail-policies.js';
import type { GuardrailDecision } from '../../src/guardrails/guardrail-observer.js';
import { RequestGuard } from '../../src/guardrails/request-guard.js';
import { startMockAnalyzer, type MockAnalyzer } from '../support/mock-presidio-analyzer.js';

describe('external analyser guardrail', () => {
  let analyzer: MockAnalyzer;
  before(async () => (analyzer = await startMockAnalyzer()));
  after(async () => analyzer.close());

  const guard = (action: 'mask' | 'block', onError: 'open' | 'closed') => {
    const decisions: GuardrailDecision[] = [];
    const guardrails = createGuardrailPolicies({
      guardrails: {
        names: { type: 'analyzer', url: analyzer.url, action, entities: ['PERSON', 'LOCATION'], language: 'en', score_threshold: 0.5, timeout: '500ms', on_error: onError },
        pii: { type: 'pii', action: 'mask', detectors: ['email'], phone_region: 'US' },
      },
      models: { m: { guardrails: ['pii', 'names'] } },
      keys: [],
    }).forRequest('m', undefined);
    const observer = { decided: (decision: GuardrailDecision) => decisions.push(decision), timed() {} };
    return { decisions, guard: new RequestGuard(guardrails, 'openai', { requestId: 'r', keyAlias: undefined, observer, now: () => performance.now() }) };
  };

  test('masks what the analyser finds, together with the rules, and restores the answer', async () => {
    analyzer.delayMs = 0;
    const { guard: one, decisions } = guard('mask', 'closed');
    const request = { messages: [{ role: 'user', content: 'John Smith (john@example.com) moved to Paris.' }] };
    assert.equal(await one.inspect('chat.completions', request), undefined);
    assert.equal(request.messages[0]!.content, '<PERSON_1> (<EMAIL_1>) moved to <LOCATION_1>.');
    assert.deepEqual(analyzer.requests.at(-1), { text: 'John Smith (john@example.com) moved to Paris.', language: 'en', entities: ['PERSON', 'LOCATION'] });
    assert.deepEqual(decisions.map((decision) => `${decision.guardrail}/${decision.detector}/${decision.action}`).sort(), ['names/location/masked', 'names/person/masked', 'pii/email/masked']);
    const body = Buffer.from(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: 'Hello <PERSON_1> in <LOCATION_1>' }, finish_reason: 'stop' }] }));
    assert.equal(JSON.parse(one.rewriteBody(body)!.toString()).choices[0].message.content, 'Hello John Smith in Paris');
  });

  test('a late analyser: fail-closed refuses with 503, fail-open lets the request through and says so', async () => {
    analyzer.delayMs = 2500;
    try {
      const closed = guard('block', 'closed');
      const refusal = await closed.guard.inspect('chat.completions', { messages: [{ role: 'user', content: 'John Smith' }] });
      assert.equal(refusal?.status, 503);
      assert.equal(refusal?.code, 'guardrail_unavailable');
      const open = guard('block', 'open');
      const request = { messages: [{ role: 'user', content: 'John Smith' }] };
      assert.equal(await open.guard.inspect('chat.completions', request), undefined);
      assert.equal(request.messages[0]!.content, 'John Smith');
      assert.deepEqual(open.decisions.map((decision) => decision.action), ['unavailable']);
    } finally {
      analyzer.delayMs = 0;
    }
  });
});
