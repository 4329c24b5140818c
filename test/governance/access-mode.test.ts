import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideAccess, type AccessFacts } from '../../src/governance/access-mode.js';

const openAsked: AccessFacts = { configuredMode: 'open', declaredKeys: 0, adminApiEnabled: false, sharedStore: false, storedKeys: 0 };

describe('access mode', () => {
  test('closed is the default and stays closed whatever else holds', () => {
    assert.deepEqual(decideAccess({ ...openAsked, configuredMode: 'closed' }), { open: false, overriddenBy: [] });
  });

  test('open only when asked for and no key can exist', () => {
    assert.deepEqual(decideAccess(openAsked), { open: true, overriddenBy: [] });
  });

  for (const [what, facts, reason] of [
    ['declared keys', { declaredKeys: 2 }, /2 key\(s\) are declared/],
    ['the admin API', { adminApiEnabled: true }, /admin API is enabled/],
    ['a shared store', { sharedStore: true }, /shared with other replicas/],
    ['keys left in the store', { storedKeys: 1 }, /holds 1 key\(s\)/],
    ['a store that cannot say', { storedKeys: undefined }, /could not be asked/],
  ] as const) {
    test(`open is overridden by ${what}, and the reason is named`, () => {
      const decision = decideAccess({ ...openAsked, ...facts });
      assert.equal(decision.open, false);
      assert.equal(decision.overriddenBy.length, 1);
      assert.match(decision.overriddenBy[0]!, reason);
    });
  }
});
