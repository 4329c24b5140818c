import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TargetRuntime } from '../../src/config/runtime.js';
import { LatencyTracker } from '../../src/routing/latency-tracker.js';

const target = (id: string, model = id, provider = 'p') => ({ id, model, provider: { name: provider } }) as unknown as TargetRuntime;

/** A tracker on a hand-moved clock: alpha 0.5 so each step is easy to follow. */
function tracker(options: { halfLifeMs?: number } = {}) {
  const clock = { now: 1000 };
  const latency = new LatencyTracker({ now: () => clock.now, random: () => 0, alpha: 0.5, halfLifeMs: options.halfLifeMs ?? 60_000 });
  return { clock, latency };
}

describe('LatencyTracker', () => {
  test('an unmeasured target has no score; the first sample is taken as it is, later ones move the average by alpha', () => {
    const { latency } = tracker();
    const a = target('a#0');
    assert.equal(latency.score(a, true, 1000), undefined);
    latency.recordSuccess(a, true, 100);
    assert.equal(latency.score(a, true, 1000), 100);
    latency.recordSuccess(a, true, 300);
    assert.equal(latency.score(a, true, 1000), 200);
    latency.recordSuccess(a, true, 300);
    assert.equal(latency.score(a, true, 1000), 250);
  });

  test('streams are scored on time to first token, whole answers on total time; each falls back on the other when it alone is measured', () => {
    const { latency } = tracker();
    const a = target('a#0');
    latency.recordSuccess(a, false, 2000);
    assert.equal(latency.score(a, true, 0), 2000, 'no stream measured yet: the whole-answer average');
    latency.recordSuccess(a, true, 150);
    assert.equal(latency.score(a, true, 0), 150);
    assert.equal(latency.score(a, false, 0), 2000);
  });

  test('failures raise the error rate (weighed by the penalty) without being latency samples', () => {
    const { latency } = tracker();
    const a = target('a#0');
    latency.recordSuccess(a, true, 100);
    latency.recordFailure(a);
    // Error rate 0 -> 0.5; latency stays 100.
    assert.equal(latency.score(a, true, 1000), 100 + 0.5 * 1000);
    latency.recordSuccess(a, true, 100);
    assert.equal(latency.score(a, true, 1000), 100 + 0.25 * 1000);
    const b = target('b#0');
    latency.recordFailure(b);
    assert.equal(latency.score(b, true, 1000), 1000, 'only failures: the penalty alone');
  });

  test('a score decays toward 0 with the time since its last sample, halving every half-life', () => {
    const { clock, latency } = tracker({ halfLifeMs: 10_000 });
    const a = target('a#0');
    latency.recordSuccess(a, true, 400);
    clock.now += 10_000;
    assert.equal(latency.score(a, true, 0), 200);
    clock.now += 20_000;
    assert.equal(latency.score(a, true, 0), 50);
    latency.recordSuccess(a, true, 100);
    assert.equal(latency.score(a, true, 0), 250, 'a new sample: fresh again (400 -> 250)');
  });

  test('a reload that gives an id to another provider or model starts it again; the same target keeps its numbers', () => {
    const { latency } = tracker();
    latency.recordSuccess(target('a#0', 'old'), true, 100);
    assert.equal(latency.score(target('a#0', 'old'), true, 0), 100, 'an equal target object after a reload');
    assert.equal(latency.score(target('a#0', 'new'), true, 0), undefined);
    latency.recordSuccess(target('a#0', 'new'), true, 700);
    assert.equal(latency.score(target('a#0', 'new'), true, 0), 700);
    assert.deepEqual([...latency.entries()].map((entry) => [entry.target.model, entry.firstTokenMs, entry.errorRate]), [['new', 700, 0]]);
  });

  test('alpha and half-life are checked', () => {
    assert.throws(() => new LatencyTracker({ now: () => 0, random: () => 0, alpha: 0 }), /alpha/);
    assert.throws(() => new LatencyTracker({ now: () => 0, random: () => 0, halfLifeMs: 0 }), /halfLifeMs/);
  });
});
