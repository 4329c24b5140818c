import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { constants } from 'node:http2';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { ProcessingRequest, ProcessingResponse } from '../../src/extproc/messages.js';
import { endsExchange, writeReply } from '../../src/extproc/write-reply.js';
import { CONTINUE_RESPONSE_BODY, continueResponseHeaders, jsonImmediateResponse } from '../../src/extproc/responses.js';

type Call = ServerDuplexStream<ProcessingRequest, ProcessingResponse>;

/** A grpc-js call as far as writeReply reads it: write(), and the HTTP/2 stream under its intercepting calls. */
function fakeCall(options: { withStream?: boolean; writeError?: Error } = {}) {
  const written: ProcessingResponse[] = [];
  const closes: number[] = [];
  const stream = { closed: false, destroyed: false, rstCode: 0, close: (code: number) => closes.push(code) };
  const call = {
    call: { nextCall: options.withStream === false ? {} : { stream } },
    write: (reply: ProcessingResponse, callback?: (error?: Error | null) => void) => {
      written.push(reply);
      callback?.(options.writeError ?? null);
      return true;
    },
  };
  return { call: call as unknown as Call, written, closes };
}

const lastBody: ProcessingRequest = { request: 'response_body', response_body: { body: Buffer.from('{}'), end_of_stream: true } };
const chunk: ProcessingRequest = { request: 'response_body', response_body: { body: Buffer.from('data: {}\n\n'), end_of_stream: false } };
const requestHeaders: ProcessingRequest = { request: 'request_headers', request_headers: { end_of_stream: false } };

describe('writeReply: the sidecar ends a stream after its last reply', () => {
  test('the last reply: the reply, then the HTTP/2 stream closed with NO_ERROR', () => {
    const { call, written, closes } = fakeCall();
    writeReply(call, lastBody, CONTINUE_RESPONSE_BODY);
    assert.deepEqual(written, [CONTINUE_RESPONSE_BODY]);
    assert.deepEqual(closes, [constants.NGHTTP2_NO_ERROR]);
  });

  test('any other reply: written, the stream left open', () => {
    const { call, written, closes } = fakeCall();
    writeReply(call, chunk, CONTINUE_RESPONSE_BODY);
    writeReply(call, requestHeaders, continueResponseHeaders());
    assert.equal(written.length, 2);
    assert.deepEqual(closes, []);
  });

  test("an upstream (attempt) filter's stream is left to Envoy", () => {
    const { call, written, closes } = fakeCall();
    writeReply(call, lastBody, CONTINUE_RESPONSE_BODY, false);
    assert.deepEqual(written, [CONTINUE_RESPONSE_BODY]);
    assert.deepEqual(closes, []);
  });

  test('a reply that failed to be written, or a call without a reachable stream: nothing closed', () => {
    const failed = fakeCall({ writeError: new Error('write after end') });
    writeReply(failed.call, lastBody, CONTINUE_RESPONSE_BODY);
    assert.deepEqual(failed.closes, []);
    const hidden = fakeCall({ withStream: false });
    writeReply(hidden.call, lastBody, CONTINUE_RESPONSE_BODY);
    assert.deepEqual(hidden.written, [CONTINUE_RESPONSE_BODY]);
  });

  test('endsExchange: an immediate response, the last body piece, or headers that end the response', () => {
    assert.equal(endsExchange(requestHeaders, jsonImmediateResponse(401, {})), true);
    assert.equal(endsExchange(lastBody, CONTINUE_RESPONSE_BODY), true);
    assert.equal(endsExchange(chunk, CONTINUE_RESPONSE_BODY), false);
    assert.equal(endsExchange(requestHeaders, continueResponseHeaders()), false);
    const headersOnly: ProcessingRequest = { request: 'response_headers', response_headers: { end_of_stream: true } };
    assert.equal(endsExchange(headersOnly, continueResponseHeaders()), true);
    assert.equal(endsExchange({ request: 'response_headers', response_headers: { end_of_stream: false } }, continueResponseHeaders()), false);
  });
});
