import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readBackOff } from '../../src/resilience/read-back-off.js';

const rules = { overloadedPauseMs: 15_000, maxPauseMs: 120_000 };
const NOW = Date.parse('2026-11-30T06:00:00Z');
const read = (status: number, headers: Record<string, string>, body?: string) => readBackOff(status, headers, body, NOW, rules);
const FIXTURES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../test/fixtures');

describe('readBackOff', () => {
  test('retry-after in seconds, on a 429 and on a 503', () => {
    assert.equal(read(429, { 'retry-after': '20' }), 20_000);
    assert.equal(read(503, { 'retry-after': ' 3 ' }), 3_000);
  });

  test('retry-after as an HTTP-date, measured against the wall clock', () => {
    assert.equal(read(429, { 'retry-after': 'Mon, 30 Nov 2026 06:00:42 GMT' }), 42_000);
    assert.equal(read(429, { 'retry-after': 'Mon, 30 Nov 2026 05:59:00 GMT' }), undefined, 'a date in the past asks for nothing');
  });

  test('retry-after-ms wins over retry-after (OpenAI and Azure send both)', () => {
    assert.equal(read(429, { 'retry-after-ms': '1500.5', 'retry-after': '2' }), 1501);
  });

  test("Anthropic's 529 overloaded pauses for overloaded_pause, unless it says how long", () => {
    const body = readFileSync(resolve(FIXTURES, 'anthropic/error-529-overloaded.json'), 'utf8');
    assert.equal(read(529, {}, body), 15_000);
    assert.equal(read(529, { 'retry-after': '4' }, body), 4_000);
    assert.equal(readBackOff(529, {}, body, NOW, { ...rules, overloadedPauseMs: 0 }), undefined);
  });

  test("Gemini's RetryInfo retryDelay in the error body's details", () => {
    const body = JSON.stringify({
      error: {
        code: 429,
        message: 'You exceeded your current quota.',
        status: 'RESOURCE_EXHAUSTED',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generate_content_free_tier_requests' }] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '27.5s' },
        ],
      },
    });
    assert.equal(read(429, {}, body), 27_500);
    assert.equal(read(429, {}, `[${body}]`), 27_500, 'the array form some Google front ends use');
    assert.equal(readBackOff(429, {}, Buffer.from(body), NOW, rules), 27_500);
  });

  test("Gemini's 503 UNAVAILABLE (overloaded) pauses for overloaded_pause; its RetryInfo wins when it has one", () => {
    const overloaded = JSON.stringify({ error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } });
    assert.equal(read(503, {}, overloaded), 15_000);
    const withDelay = JSON.stringify({ error: { code: 503, status: 'UNAVAILABLE', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3s' }] } });
    assert.equal(read(503, {}, withDelay), 3_000);
    assert.equal(read(500, {}, JSON.stringify({ error: { code: 500, status: 'INTERNAL' } })), undefined, 'an internal error is not an overload');
  });

  test('the cap: no pause is longer than max_pause', () => {
    assert.equal(read(429, { 'retry-after': '86400' }), 120_000);
  });

  test('nothing asked: no header, unreadable values, successes and client errors', () => {
    assert.equal(read(429, {}), undefined);
    assert.equal(read(429, { 'retry-after': 'soon' }), undefined);
    assert.equal(read(429, { 'retry-after': '0' }), undefined);
    assert.equal(read(429, { 'retry-after': '-5' }), undefined);
    assert.equal(read(429, { 'retry-after-ms': 'NaN' }), undefined);
    assert.equal(read(429, {}, '{"error":{"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"soon"}]}}'), undefined);
    assert.equal(read(200, { 'retry-after': '20' }), undefined);
    assert.equal(read(400, { 'retry-after': '20' }), undefined);
    assert.equal(read(500, {}, 'not json RetryInfo'), undefined);
  });
});
