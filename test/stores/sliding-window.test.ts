import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { secondsUntilRoom, windowEstimate, windowHasRoom, windowState } from '../../src/stores/sliding-window.js';

const windowStart = 1_000 * 60_000;
const at = (seconds: number): number => windowStart + seconds * 1000;

describe('sliding window', () => {
  test('the previous window counts in proportion to how much of it is still within the last minute', () => {
    assert.equal(windowEstimate({ previous: 60, current: 5 }, at(0)), 65);
    assert.equal(windowEstimate({ previous: 60, current: 5 }, at(15)), 50);
    assert.equal(windowEstimate({ previous: 60, current: 5 }, at(45)), 20);
  });

  test('a request needs room for itself; tokens need the window below the limit', () => {
    assert.equal(windowHasRoom({ previous: 0, current: 9 }, 10, at(0), 'requests'), true);
    assert.equal(windowHasRoom({ previous: 0, current: 10 }, 10, at(0), 'requests'), false);
    assert.equal(windowHasRoom({ previous: 0, current: 99 }, 100, at(0), 'tokens'), true);
    assert.equal(windowHasRoom({ previous: 0, current: 100 }, 100, at(0), 'tokens'), false);
    // 0.9 is not exact in binary: 10 × (1 − 0.1) must still leave room for the tenth request.
    assert.equal(windowHasRoom({ previous: 10, current: 0 }, 10, at(6), 'requests'), true);
  });

  test('seconds until room: while the previous window slides out', () => {
    assert.equal(secondsUntilRoom({ previous: 10, current: 2 }, 10, at(30), 'requests'), 0);
    // 20 × (1 − (30 + t)/60) + 2 + 1 <= 10 at t = 9.
    assert.equal(secondsUntilRoom({ previous: 20, current: 2 }, 10, at(30), 'requests'), 9);
    assert.equal(secondsUntilRoom({ previous: 20, current: 2 }, 10, at(39), 'requests'), 0);
    assert.equal(secondsUntilRoom({ previous: 20, current: 2 }, 10, at(38.5), 'requests'), 1, 'at least a second, rounded up');
  });

  test('seconds until room: a full current window slides out during the next', () => {
    assert.equal(secondsUntilRoom({ previous: 0, current: 10 }, 10, at(50), 'requests'), 16);
    assert.equal(secondsUntilRoom({ previous: 7, current: 10 }, 10, at(0), 'requests'), 66);
    assert.equal(secondsUntilRoom({ previous: 0, current: 300 }, 100, at(0), 'tokens'), 101);
    assert.equal(secondsUntilRoom({ previous: 0, current: 100 }, 100, at(0), 'tokens'), 61, 'strictly below the limit, a second past its edge');
  });

  test('a limit of 0 never has room', () => {
    assert.equal(secondsUntilRoom({ previous: 0, current: 0 }, 0, at(0), 'requests'), undefined);
    assert.equal(secondsUntilRoom({ previous: 0, current: 0 }, 0, at(0), 'tokens'), undefined);
    assert.deepEqual(windowState({ previous: 0, current: 0 }, 0, at(0), 'requests'), { limit: 0, remaining: 0, resetSeconds: 60 });
  });

  test('window state: remaining is whole, never negative', () => {
    assert.deepEqual(windowState({ previous: 10, current: 3 }, 10, at(30), 'requests'), { limit: 10, remaining: 2, resetSeconds: 0 });
    // 30 s to the window's end, then 12 × (1 − s/60) + 1 <= 10 at s = 15.
    assert.deepEqual(windowState({ previous: 0, current: 12 }, 10, at(30), 'requests'), { limit: 10, remaining: 0, resetSeconds: 45 });
  });
});
