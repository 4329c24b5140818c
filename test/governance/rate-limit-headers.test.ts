import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatGoDuration } from '../../src/governance/format-go-duration.js';
import { rateLimitHeaders } from '../../src/governance/rate-limit-headers.js';
import { createMemoryGovernanceStore } from '../../src/stores/memory-governance-store.js';

const start = Date.UTC(2026, 10, 23, 12, 0, 0);

describe('formatGoDuration', () => {
  test("prints what Go's time.Duration prints, rounded up to the millisecond", () => {
    const cases: Array<[number, string]> = [
      [0, '0s'],
      [0.2, '1ms'],
      [12, '12ms'],
      [600, '600ms'],
      [1000, '1s'],
      [1500, '1.5s'],
      [20_000, '20s'],
      [60_000, '1m0s'],
      [90_250, '1m30.25s'],
      [360_000, '6m0s'],
      [3_723_000, '1h2m3s'],
    ];
    for (const [milliseconds, printed] of cases) assert.equal(formatGoDuration(milliseconds), printed, `${milliseconds} ms`);
  });
});

describe('rateLimitHeaders', () => {
  test('one request of 100 a minute used: 99 left, and the limit is full again in 600 ms, not "0s"', async () => {
    const store = createMemoryGovernanceStore();
    const result = await store.admit({ keyId: 'k', now: start, limits: { requestsPerMinute: 100, tokensPerMinute: 1000 }, reservationId: 'r', reservationUsd: 0, reservationTtlMs: 60_000 });
    assert.deepEqual(rateLimitHeaders(result.state), {
      'x-ratelimit-limit-requests': '100',
      'x-ratelimit-remaining-requests': '99',
      'x-ratelimit-reset-requests': '600ms',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '1000',
      'x-ratelimit-reset-tokens': '0s',
    });
    await store.settle({ keyId: 'k', now: start, limits: { tokensPerMinute: 1000 }, reservationId: 'r', costUsd: 0, tokens: 250, model: 'm' });
    const headers = rateLimitHeaders(await store.state('k', { requestsPerMinute: 100, tokensPerMinute: 1000 }, start + 1000));
    assert.equal(headers['x-ratelimit-remaining-tokens'], '766', '250 used, 16.7 refilled in a second');
    assert.equal(headers['x-ratelimit-reset-tokens'], '14s');
    assert.equal(headers['x-ratelimit-reset-requests'], '0s');
  });

  test('only the limits the key has', () => {
    assert.deepEqual(rateLimitHeaders({ requests: undefined, tokens: undefined, parallel: { limit: 1, active: 0 }, budget: undefined }), {});
  });
});
