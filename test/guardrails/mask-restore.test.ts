import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createGuardrailPolicies } from '../../src/guardrails/guardrail-policies.js';
import { inspectInput } from '../../src/guardrails/inspect-input.js';
import { PlaceholderVault, StreamRestorer } from '../../src/guardrails/placeholder-vault.js';
import { chatRequestTexts, messagesRequestTexts } from '../../src/guardrails/request-texts.js';
import { RequestGuard } from '../../src/guardrails/request-guard.js';

const policies = (action: 'mask' | 'redact' | 'block' | 'log') =>
  createGuardrailPolicies({
    guardrails: { pii: { type: 'pii', action, detectors: ['email', 'phone', 'card', 'iban', 'ssn', 'ip', 'secret'], phone_region: 'US' } },
    models: { m: { guardrails: ['pii'] } },
    keys: [],
  }).forRequest('m', undefined);

describe('masking', () => {
  test('the same value gets the same placeholder in one request, across messages and tool arguments', () => {
    const request = {
      messages: [
        { role: 'system', content: 'Support for jane@example.com' },
        { role: 'user', content: [{ type: 'text', text: 'I am jane@example.com, card 4111 1111 1111 1111' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"email":"jane@example.com","other":"bob@example.org"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'owner bob@example.org' },
      ],
    };
    const vault = new PlaceholderVault();
    const outcome = inspectInput(policies('mask'), chatRequestTexts(request), vault);
    assert.equal(outcome.refusal, undefined);
    assert.equal(request.messages[0]!.content, 'Support for <EMAIL_1>');
    assert.equal((request.messages[1]!.content as any)[0].text, 'I am <EMAIL_1>, card <CARD_1>');
    assert.equal(JSON.parse((request.messages[2] as any).tool_calls[0].function.arguments).other, '<EMAIL_2>');
    assert.equal(request.messages[3]!.content, 'owner <EMAIL_2>');
    assert.deepEqual(outcome.decisions.map((decision) => [decision.detector, decision.action, decision.count]), [['email', 'masked', 5], ['card', 'masked', 1]]);
    assert.equal(vault.restore('Wrote to <EMAIL_1> and <EMAIL_2>, not <EMAIL_9>'), 'Wrote to jane@example.com and bob@example.org, not <EMAIL_9>');
  });

  test('a value split across content parts is found whole and masked in the part where it starts', () => {
    const request = { messages: [{ role: 'user', content: [{ type: 'text', text: 'mail jane.do' }, { type: 'text', text: 'e@example.com please' }] }] };
    inspectInput(policies('mask'), chatRequestTexts(request), new PlaceholderVault());
    assert.deepEqual((request.messages[0]!.content as any).map((part: any) => part.text), ['mail <EMAIL_1>', ' please']);
  });

  test('Anthropic system, text blocks, tool results and tool_use inputs are all covered', () => {
    const request = {
      system: [{ type: 'text', text: 'Agent for 123-45-6789' }],
      messages: [
        { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: { ip: '10.1.2.3', nested: ['sk-proj-abcdefghijklmnopqrstuvwxyz0123'] } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'IBAN DE89370400440532013000' }] }] },
      ],
    };
    inspectInput(policies('redact'), messagesRequestTexts(request), new PlaceholderVault());
    assert.equal(request.system[0]!.text, 'Agent for [REDACTED_SSN]');
    assert.deepEqual((request.messages[0]!.content[0] as any).input, { ip: '[REDACTED_IP]', nested: ['[REDACTED_SECRET]'] });
    assert.equal((request.messages[1]!.content[0] as any).content[0].text, 'IBAN [REDACTED_IBAN]');
  });

  test('count_tokens and embeddings requests are checked too: their texts reach the provider', () => {
    const observer = { decided() {}, timed() {} };
    const guard = () => new RequestGuard(policies('redact'), 'openai', { requestId: 'r', keyAlias: undefined, observer, now: () => 0 });
    const count = { request: { model: 'c', messages: [{ role: 'user', content: 'mail a@example.com' }] }, anthropicVersion: '2023-06-01' };
    assert.equal(guard().inspect('messages.count_tokens', count), undefined);
    assert.equal(count.request.messages[0]!.content, 'mail [REDACTED_EMAIL]');
    const embeddings = { model: 'e', input: ['call +1 415 253 2671', [1, 2, 3]] };
    guard().inspect('embeddings', embeddings);
    assert.deepEqual(embeddings.input, ['call [REDACTED_PHONE]', [1, 2, 3]]);
  });

  test('block refuses naming guardrail and detector, never the value; log leaves the text', () => {
    const text = 'reach me at +1 415 253 2671';
    const blocked = inspectInput(policies('block'), chatRequestTexts({ messages: [{ role: 'user', content: text }] }), new PlaceholderVault());
    assert.equal(blocked.refusal?.code, 'guardrail_blocked');
    assert.equal(blocked.refusal?.status, 400);
    assert.match(blocked.refusal!.message, /guardrail 'pii': detector 'phone'/);
    assert.doesNotMatch(blocked.refusal!.message, /415/);
    const request = { messages: [{ role: 'user', content: text }] };
    const logged = inspectInput(policies('log'), chatRequestTexts(request), new PlaceholderVault());
    assert.equal(request.messages[0]!.content, text);
    assert.deepEqual(logged.decisions.map((decision) => decision.action), ['logged']);
  });
});

describe('restoring a stream', () => {
  const vault = new PlaceholderVault();
  const email = vault.placeholderFor('email', 'jane@example.com');
  const card = vault.placeholderFor('card', '4111111111111111');
  const answer = `Hi ${email}, your card ${card} <b>is</b> fine <EMAIL_77> and < 3 <CARD_1`;
  const expected = 'Hi jane@example.com, your card 4111111111111111 <b>is</b> fine <EMAIL_77> and < 3 <CARD_1';

  test('split at every position into two pieces', () => {
    for (let at = 0; at <= answer.length; at += 1) {
      const restorer = new StreamRestorer(vault);
      const out = restorer.push(answer.slice(0, at)) + restorer.push(answer.slice(at)) + restorer.end();
      assert.equal(out, expected, `split at ${at}`);
    }
  });

  test('one character at a time, and every pair of split points', () => {
    const restorer = new StreamRestorer(vault);
    let out = '';
    for (const character of answer) out += restorer.push(character);
    assert.equal(out + restorer.end(), expected);
    for (let first = 0; first <= answer.length; first += 3) {
      for (let second = first; second <= answer.length; second += 1) {
        const each = new StreamRestorer(vault);
        const text = each.push(answer.slice(0, first)) + each.push(answer.slice(first, second)) + each.push(answer.slice(second)) + each.end();
        assert.equal(text, expected, `splits at ${first}, ${second}`);
      }
    }
  });
});
