import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { matchRule, type RequestFacts } from '../../src/routing/match-rule.js';
import { requestText } from '../../src/routing/request-text.js';
import { ruleConditionsSchema, type RuleConditions } from '../../src/routing/route-schema.js';

/** Each rule condition on its own, against requests that meet it and requests that do not. */
function facts(overrides: Partial<RequestFacts> & { request?: unknown } = {}): RequestFacts & { counted: () => number } {
  let counts = 0;
  const request = overrides.request ?? { messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Write a python function' }] };
  return {
    text: () => requestText(request),
    needs: { uses: {}, maxOutputTokens: undefined },
    stream: false,
    headers: {},
    key: undefined,
    promptUpperBound: 100,
    countPrompt: async () => {
      counts += 1;
      return 50;
    },
    ...overrides,
    counted: () => counts,
  };
}
const when = (conditions: unknown): RuleConditions => ruleConditionsSchema.parse(conditions);

describe('matchRule', () => {
  test('an empty condition set always matches', () => {
    assert.equal(matchRule(when({}), facts()), true);
  });

  test('regex on the last user message (case-insensitive), not an earlier one', () => {
    assert.equal(matchRule(when({ last_user_message: { regex: 'PYTHON|```' } }), facts()), true);
    const earlier = { messages: [{ role: 'user', content: 'python?' }, { role: 'assistant', content: 'yes' }, { role: 'user', content: 'thanks' }] };
    assert.equal(matchRule(when({ last_user_message: { regex: 'python' } }), facts({ request: earlier })), false);
  });

  test('keywords match whole words only, in text parts of a content list', () => {
    const parts = { messages: [{ role: 'user', content: [{ type: 'text', text: 'Fix this class' }] }] };
    assert.equal(matchRule(when({ last_user_message: { keywords: ['class', 'def'] } }), facts({ request: parts })), true);
    const classic = { messages: [{ role: 'user', content: 'a classic novel' }] };
    assert.equal(matchRule(when({ last_user_message: { keywords: ['class'] } }), facts({ request: classic })), false);
  });

  test('system prompt: system and developer turns, or Anthropic\'s top-level system', () => {
    assert.equal(matchRule(when({ system_prompt: { keywords: ['terse'] } }), facts()), true);
    assert.equal(matchRule(when({ system_prompt: { keywords: ['verbose'] } }), facts()), false);
    const anthropic = { system: [{ type: 'text', text: 'You review code.' }], messages: [{ role: 'user', content: 'hi' }] };
    assert.equal(matchRule(when({ system_prompt: { regex: 'review' } }), facts({ request: anthropic })), true);
  });

  test('prompt token range: the byte bound decides without counting when it can', async () => {
    const under = facts({ promptUpperBound: 10 });
    assert.equal(matchRule(when({ prompt_tokens: { min: 20 } }), under), false, 'the bound is under min: cannot match');
    const small = facts({ promptUpperBound: 100 });
    assert.equal(matchRule(when({ prompt_tokens: { max: 100 } }), small), true, 'the bound is within max');
    assert.equal(under.counted() + small.counted(), 0, 'nothing was counted');
    const counted = facts({ promptUpperBound: 500 });
    assert.equal(await matchRule(when({ prompt_tokens: { min: 40, max: 60 } }), counted), true, '50 counted tokens are within 40..60');
    assert.equal(await matchRule(when({ prompt_tokens: { min: 51 } }), counted), false);
    assert.equal(await matchRule(when({ prompt_tokens: { max: 49 } }), counted), false);
  });

  test('tools, images, json schema and stream', () => {
    const uses = facts({ needs: { uses: { tools: 'tools', vision: 'messages[0].content[1]' }, maxOutputTokens: undefined }, stream: true });
    assert.equal(matchRule(when({ has_tools: true, has_images: true, stream: true }), uses), true);
    assert.equal(matchRule(when({ has_json_schema: true }), uses), false);
    assert.equal(matchRule(when({ has_tools: false }), uses), false);
    assert.equal(matchRule(when({ stream: false }), uses), false);
    assert.equal(matchRule(when({ has_json_schema: false, has_tools: false }), facts()), true);
  });

  test('a header value, or one of several', () => {
    const low = facts({ headers: { 'x-priority': 'low' } });
    assert.equal(matchRule(when({ headers: { 'x-priority': 'low' } }), low), true);
    assert.equal(matchRule(when({ headers: { 'x-priority': ['batch', 'low'] } }), low), true);
    assert.equal(matchRule(when({ headers: { 'x-priority': 'high' } }), low), false);
    assert.equal(matchRule(when({ headers: { 'x-priority': 'low' } }), facts()), false, 'an absent header does not match');
  });

  test('the key: alias and metadata; an anonymous caller matches no key condition', () => {
    const key = facts({ key: { alias: 'batch-jobs', metadata: { team: 'search' } } });
    assert.equal(matchRule(when({ key: { alias: ['batch-jobs'] } }), key), true);
    assert.equal(matchRule(when({ key: { metadata: { team: 'search' } } }), key), true);
    assert.equal(matchRule(when({ key: { metadata: { team: 'ads' } } }), key), false);
    assert.equal(matchRule(when({ key: { alias: ['other'] } }), key), false);
    assert.equal(matchRule(when({ key: { alias: ['batch-jobs'] } }), facts()), false);
  });

  test('all conditions must hold', () => {
    const low = facts({ headers: { 'x-priority': 'low' } });
    assert.equal(matchRule(when({ headers: { 'x-priority': 'low' }, last_user_message: { keywords: ['python'] } }), low), true);
    assert.equal(matchRule(when({ headers: { 'x-priority': 'low' }, last_user_message: { keywords: ['rust'] } }), low), false);
  });

  test('an invalid regex is refused by the schema', () => {
    assert.throws(() => when({ last_user_message: { regex: '(' } }), /not a valid regular expression/);
  });
});
