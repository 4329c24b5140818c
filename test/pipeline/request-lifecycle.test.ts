import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Admission } from '../../src/governance/governance.js';
import { RequestLifecycle, type AdmissionSettler } from '../../src/pipeline/request-lifecycle.js';

const admission = { key: { alias: 'team' }, reservationId: 'reservation-1' } as unknown as Admission;

function recordingSettler() {
  const calls: string[] = [];
  const settler: AdmissionSettler = {
    settle: async (_admission, model, costUsd, tokens) => void calls.push(`settle ${model} ${costUsd} ${tokens}`),
    release: async () => void calls.push('release'),
  };
  return { calls, settler };
}

describe('request lifecycle', () => {
  test('admitted, forwarded, answered: settled once with the cost', () => {
    const { calls, settler } = recordingSettler();
    const lifecycle = new RequestLifecycle(settler);
    lifecycle.admitting();
    assert.equal(lifecycle.admitted(admission), true);
    lifecycle.forwarded();
    lifecycle.responding();
    assert.equal(lifecycle.finished({ model: 'gpt', costUsd: 0.5, tokens: 10 }), true);
    assert.equal(lifecycle.finished({ model: 'gpt', costUsd: 0.5, tokens: 10 }), false);
    assert.equal(lifecycle.cancel(), 'already-ended');
    assert.deepEqual(calls, ['settle gpt 0.5 10']);
    assert.equal(lifecycle.state, 'finished');
  });

  test('cancelled while the store is asked: the admission that comes back is released, never forwarded', () => {
    const { calls, settler } = recordingSettler();
    const lifecycle = new RequestLifecycle(settler);
    lifecycle.admitting();
    assert.equal(lifecycle.cancel(), 'nothing-owed');
    assert.deepEqual(calls, [], 'nothing to release before the store answers');
    assert.equal(lifecycle.admitted(admission), false);
    assert.deepEqual(calls, ['release']);
    assert.equal(lifecycle.state, 'cancelled');
  });

  test('admitted, then refused before forwarding (e.g. the gateway is overloaded): released, no spend', () => {
    const { calls, settler } = recordingSettler();
    const lifecycle = new RequestLifecycle(settler);
    lifecycle.admitting();
    lifecycle.admitted(admission);
    lifecycle.refused();
    lifecycle.refused();
    assert.deepEqual(calls, ['release']);
  });

  test('cut short after forwarding: the caller meters, then settles once', () => {
    const { calls, settler } = recordingSettler();
    const lifecycle = new RequestLifecycle(settler);
    lifecycle.admitting();
    lifecycle.admitted(admission);
    lifecycle.forwarded();
    assert.equal(lifecycle.cancel(), 'cut-short');
    assert.equal(lifecycle.cancel(), 'already-ended');
    lifecycle.settleCutShort({ model: 'gpt', costUsd: undefined, tokens: 4 });
    lifecycle.settleCutShort({ model: 'gpt', costUsd: undefined, tokens: 4 });
    // An unknown cost (no price) stays unknown: it is not settled as $0.
    assert.deepEqual(calls, ['settle gpt undefined 4']);
  });

  test('an open gateway has no admission: every ending is a no-op for governance', () => {
    const { calls, settler } = recordingSettler();
    const lifecycle = new RequestLifecycle(settler);
    lifecycle.forwarded();
    assert.equal(lifecycle.cancel(), 'cut-short');
    lifecycle.settleCutShort({ model: 'gpt', costUsd: 0, tokens: 0 });
    assert.deepEqual(calls, []);
  });

  test('transitions out of order are bugs, reported loudly', () => {
    const lifecycle = new RequestLifecycle(recordingSettler().settler);
    assert.throws(() => lifecycle.responding(), /responding while received/);
    lifecycle.forwarded();
    assert.throws(() => lifecycle.forwarded(), /cannot be forwarded while forwarded/);
    assert.throws(() => lifecycle.admitting(), /admitting while forwarded/);
  });
});
