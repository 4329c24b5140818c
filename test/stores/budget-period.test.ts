import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { budgetPeriod } from '../../src/stores/budget-period.js';

describe('budget period', () => {
  test('total never resets', () => {
    assert.deepEqual(budgetPeriod('total', Date.UTC(2026, 10, 23, 12)), { id: 'total', resetsAt: undefined });
  });

  test('daily periods are UTC days', () => {
    assert.deepEqual(budgetPeriod('daily', Date.UTC(2026, 10, 23, 23, 59, 59, 999)), { id: '2026-11-23', resetsAt: Date.UTC(2026, 10, 24) });
    assert.deepEqual(budgetPeriod('daily', Date.UTC(2026, 10, 24)), { id: '2026-11-24', resetsAt: Date.UTC(2026, 10, 25) });
    assert.deepEqual(budgetPeriod('daily', Date.UTC(2026, 11, 31, 8)), { id: '2026-12-31', resetsAt: Date.UTC(2027, 0, 1) });
  });

  test('monthly periods are UTC calendar months', () => {
    assert.deepEqual(budgetPeriod('monthly', Date.UTC(2026, 11, 31, 23, 59)), { id: '2026-12', resetsAt: Date.UTC(2027, 0, 1) });
    assert.deepEqual(budgetPeriod('monthly', Date.UTC(2028, 1, 29, 12)), { id: '2028-02', resetsAt: Date.UTC(2028, 2, 1) });
  });
});
