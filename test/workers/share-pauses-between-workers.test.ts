import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { createTargetPauses } from '../../src/resilience/target-pauses.js';
import { isPauseNotice, sharePausesBetweenWorkers } from '../../src/workers/share-pauses-between-workers.js';

describe('sharePausesBetweenWorkers', () => {
  test('a pause one worker learns reaches the other through the primary, as an end time', () => {
    let time = 1_000;
    const workers = [0, 1].map(() => Object.assign(new EventEmitter(), { sent: [] as unknown[], send(message: unknown) { this.sent.push(message); return true; } }));
    const pauses = workers.map((endpoint) => sharePausesBetweenWorkers(createTargetPauses(() => time), endpoint, () => time));
    pauses[0]!.pause('chain#0', 20_000);
    const notice = workers[0]!.sent[0];
    assert.ok(isPauseNotice(notice));
    assert.equal(notice.until, 21_000);
    // The primary passes it on; 5 s have gone by on the way.
    time += 5_000;
    workers[1]!.emit('message', notice);
    assert.equal(pauses[1]!.remaining('chain#0'), 15_000);
    assert.deepEqual(workers[1]!.sent, [], 'a pause heard is not sent back');
    pauses[0]!.pause('chain#1', 0);
    assert.equal(workers[0]!.sent.length, 1, 'no pause, no notice');
  });
});
