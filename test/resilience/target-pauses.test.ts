import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTargetPauses } from '../../src/resilience/target-pauses.js';

describe('TargetPauses', () => {
  test('a pause lasts its time, per target, and is only ever lengthened', () => {
    let time = 1_000;
    const pauses = createTargetPauses(() => time);
    assert.equal(pauses.remaining('m#0'), 0);
    pauses.pause('m#0', 20_000);
    assert.equal(pauses.remaining('m#0'), 20_000);
    assert.equal(pauses.remaining('m#1'), 0, 'other targets are not paused');
    time += 5_000;
    pauses.pause('m#0', 1_000);
    assert.equal(pauses.remaining('m#0'), 15_000, 'a shorter request does not shorten the pause');
    pauses.pause('m#0', 30_000);
    assert.equal(pauses.remaining('m#0'), 30_000);
    time += 30_000;
    assert.equal(pauses.remaining('m#0'), 0);
    pauses.pause('m#0', 0);
    assert.equal(pauses.remaining('m#0'), 0);
  });
});
