import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { daysInRange, utcDay } from '../../src/stores/spend-days.js';

describe('spend days', () => {
  test('the UTC day of a moment', () => {
    assert.equal(utcDay(Date.UTC(2026, 10, 23, 23, 59, 59)), '2026-11-23');
  });

  test('days in a range, inclusive, across a month end', () => {
    assert.deepEqual(daysInRange('2026-11-29', '2026-12-02'), ['2026-11-29', '2026-11-30', '2026-12-01', '2026-12-02']);
    assert.deepEqual(daysInRange('2026-11-29', '2026-11-29'), ['2026-11-29']);
    assert.deepEqual(daysInRange('2026-11-30', '2026-11-29'), []);
  });

  test('a day that is not a date is refused', () => {
    assert.throws(() => daysInRange('2026-02-30', '2026-03-01'), RangeError);
    assert.throws(() => daysInRange('2026-11', '2026-12-01'), RangeError);
  });
});
