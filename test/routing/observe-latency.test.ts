import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TargetRuntime } from '../../src/config/runtime.js';
import type { Meter, RequestOutcome } from '../../src/gateway/meter.js';
import type { RequestContext } from '../../src/gateway/request-context.js';
import { LatencyTracker } from '../../src/routing/latency-tracker.js';
import { observingLatency } from '../../src/routing/observe-latency.js';

const A = { id: 'fast#0', model: 'a', provider: { name: 'p' } } as unknown as TargetRuntime;
const B = { id: 'fast#1', model: 'b', provider: { name: 'p' } } as unknown as TargetRuntime;

function outcome(attempts: Array<[TargetRuntime, number]>, fields: Partial<RequestOutcome> & { stream?: boolean }): RequestOutcome {
  const context = { stream: fields.stream ?? true, attempts: attempts.map(([target, startedAt]) => ({ target, startedAt })) } as unknown as RequestContext;
  return { context, status: 200, usage: undefined, servedModel: undefined, firstByteAt: undefined, endedAt: 0, cutShort: false, usageEstimated: false, costUsd: undefined, keyAlias: undefined, ...fields };
}

describe('observingLatency', () => {
  const setUp = () => {
    const recorded: RequestOutcome[] = [];
    const inner: Meter = { start: () => {}, record: (seen) => void recorded.push(seen), refuse: () => {} };
    const tracker = new LatencyTracker({ now: () => 0, random: () => 0, alpha: 1 });
    return { recorded, tracker, meter: observingLatency(inner, tracker) };
  };
  const numbers = (tracker: LatencyTracker) => Object.fromEntries([...tracker.entries()].map((entry) => [entry.target.model, [entry.firstTokenMs, entry.totalMs, entry.errorRate]]));

  test('the meter still records; a stream is timed from its last attempt to its first byte, a JSON answer to its end', () => {
    const { recorded, tracker, meter } = setUp();
    const streamed = outcome([[A, 100]], { firstByteAt: 160, endedAt: 900 });
    meter.record(streamed);
    meter.record(outcome([[B, 100]], { stream: false, firstByteAt: 450, endedAt: 450 }));
    assert.equal(recorded[0], streamed);
    assert.deepEqual(numbers(tracker), { a: [60, Number.NaN, 0], b: [Number.NaN, 350, 0] });
  });

  test('earlier attempts failed; the last fails with a 5xx or 429, and a 4xx about the request says nothing', () => {
    const { tracker, meter } = setUp();
    meter.record(outcome([[A, 100], [B, 300]], { firstByteAt: 340 }));
    assert.deepEqual(numbers(tracker), { a: [Number.NaN, Number.NaN, 1], b: [40, Number.NaN, 0] });
    meter.record(outcome([[B, 100]], { status: 503, endedAt: 200 }));
    assert.equal(numbers(tracker).b![2], 1);
    meter.record(outcome([[A, 100]], { status: 400, endedAt: 200 }));
    assert.deepEqual(numbers(tracker).a, [Number.NaN, Number.NaN, 1], 'unchanged');
    meter.record(outcome([[A, 100]], { status: 429, endedAt: 200 }));
    meter.record(outcome([], { status: 503, endedAt: 200 }));
    assert.equal(numbers(tracker).a![2], 1);
  });

  test('a stream cut short before its first byte is no sample', () => {
    const { tracker, meter } = setUp();
    meter.record(outcome([[A, 100]], { cutShort: true, endedAt: 5000 }));
    assert.deepEqual(numbers(tracker), {});
  });
});
