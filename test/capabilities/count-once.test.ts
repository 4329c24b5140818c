import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { countOnce } from '../../src/capabilities/count-once.js';

describe('countOnce: a request counts each text once', () => {
  test('the same text is counted once, another text again', async () => {
    const asked: string[] = [];
    const counter = countOnce({
      count: async (text) => {
        asked.push(text);
        return text.length;
      },
    });
    assert.equal(await counter.count('hello'), 5);
    assert.equal(await counter.count('hello'), 5);
    assert.equal(await counter.count('hello world'), 11);
    assert.deepEqual(asked, ['hello', 'hello world']);
  });

  test('a refused count (authentication failed) is refused again, without asking twice', async () => {
    let asked = 0;
    const counter = countOnce({
      count: () => {
        asked += 1;
        return Promise.reject(new Error('401'));
      },
    });
    await assert.rejects(counter.count('x'), /401/);
    await assert.rejects(counter.count('x'), /401/);
    assert.equal(asked, 1);
  });
});
