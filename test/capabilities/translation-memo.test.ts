import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TranslationMemo } from '../../src/capabilities/translation-memo.js';
import type { TargetRuntime } from '../../src/config/runtime.js';
import { GatewayError } from '../../src/errors.js';
import type { UpstreamRequest } from '../../src/providers/provider-adapter.js';

const target = (id: string) => ({ id }) as TargetRuntime;

/** A translator that writes the request's text, and refuses target "no". */
function translator() {
  const calls: string[] = [];
  const prepare = (request: { text: string }) => (candidate: TargetRuntime): UpstreamRequest => {
    calls.push(`${candidate.id}:${request.text}`);
    if (candidate.id === 'no') throw new GatewayError({ status: 400, code: 'unsupported_parameter', message: 'no' });
    return { path: '/v1/chat/completions', headers: {}, body: Buffer.from(request.text) } as unknown as UpstreamRequest;
  };
  return { calls, prepare };
}

describe('TranslationMemo: a request is translated once per target', () => {
  test('the same request and target: translated once, the same provider request', () => {
    const memo = new TranslationMemo();
    const { calls, prepare } = translator();
    const request = { text: 'hi' };
    const first = memo.remembering({ prepare: prepare(request) }, request).prepare(target('a'));
    const again = memo.remembering({ prepare: prepare(request) }, request).prepare(target('a'));
    assert.equal(again, first);
    memo.remembering({ prepare: prepare(request) }, request).prepare(target('b'));
    assert.deepEqual(calls, ['a:hi', 'b:hi']);
  });

  test('a refusal is remembered and thrown again', () => {
    const memo = new TranslationMemo();
    const { calls, prepare } = translator();
    const request = { text: 'hi' };
    assert.throws(() => memo.remembering({ prepare: prepare(request) }, request).prepare(target('no')), /no/);
    assert.throws(() => memo.remembering({ prepare: prepare(request) }, request).prepare(target('no')), /no/);
    assert.deepEqual(calls, ['no:hi']);
  });

  test('another request object is translated anew; forget() drops what a request changed in place had', () => {
    const memo = new TranslationMemo();
    const { calls, prepare } = translator();
    const request = { text: 'card 4111' };
    memo.remembering({ prepare: prepare(request) }, request).prepare(target('a'));
    const shorter = { text: 'short' };
    memo.remembering({ prepare: prepare(shorter) }, shorter).prepare(target('a'));
    request.text = 'card [masked]';
    memo.forget();
    const masked = memo.remembering({ prepare: prepare(request) }, request).prepare(target('a'));
    assert.equal(masked.body.toString(), 'card [masked]');
    assert.deepEqual(calls, ['a:card 4111', 'a:short', 'a:card [masked]']);
  });

  test('a check is remembered apart from a translation: checked once, then written once when asked', () => {
    const memo = new TranslationMemo();
    const { calls, prepare } = translator();
    const request = { text: 'hi' };
    const input = () => memo.remembering({ prepare: prepare(request), check: (candidate: TargetRuntime) => void calls.push(`check ${candidate.id}`) }, request);
    input().check!(target('a'));
    input().check!(target('a'));
    const written = input().prepare(target('a'));
    input().check!(target('a'));
    assert.equal(written.body.toString(), 'hi');
    assert.deepEqual(calls, ['check a', 'a:hi']);
  });

  test('a refusal found by a check is thrown again by a check and by a translation, without asking again', () => {
    const memo = new TranslationMemo();
    const { calls, prepare } = translator();
    const request = { text: 'hi' };
    const check = (candidate: TargetRuntime) => {
      calls.push(`check ${candidate.id}`);
      if (candidate.id === 'no') throw new GatewayError({ status: 400, code: 'unsupported_parameter', message: 'no' });
    };
    const input = () => memo.remembering({ prepare: prepare(request), check }, request);
    assert.throws(() => input().check!(target('no')), /no/);
    assert.throws(() => input().check!(target('no')), /no/);
    assert.throws(() => input().prepare(target('no')), /no/);
    assert.deepEqual(calls, ['check no']);
  });
});
