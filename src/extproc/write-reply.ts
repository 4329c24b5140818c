import { constants, type ServerHttp2Stream } from 'node:http2';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { ProcessingRequest, ProcessingResponse } from './messages.js';

/**
 * Sends one reply on an ext_proc stream; after the reply that ends the exchange, closes the
 * stream from the sidecar's side.
 *
 * Why: Envoy 1.40 ends every ext_proc stream with RST_STREAM INTERNAL_ERROR (its graceful
 * close stays off, see render-envoy.ts). Node then destroys the HTTP/2 stream with an
 * ERR_HTTP2_STREAM_ERROR whose stack trace it formats at once (streams/destroy.js reads
 * `err.stack`): 50-90 µs of CPU per request, ~5 % of the sidecar's time on a JSON request
 * (`node dist/bench/run.js --only none --profile-json-only`). Nothing can follow the reply
 * that ends the exchange (trailer modes are SKIP), so once it is written the sidecar resets
 * the stream with NO_ERROR, which Node closes without an error; Envoy, which has read the
 * reply before the reset (frames arrive in order, and the reset is sent only once the reply
 * is handed to the HTTP/2 session), ends its side as before.
 *
 * `closes`: whether this stream may be closed so (the router-level filter's). The upstream
 * filter's streams are left to Envoy: Envoy ignores an immediate response there and may go on.
 */
export function writeReply(call: ServerDuplexStream<ProcessingRequest, ProcessingResponse>, message: ProcessingRequest, reply: ProcessingResponse, closes = true): void {
  if (!closes || !endsExchange(message, reply)) {
    call.write(reply);
    return;
  }
  const stream = http2StreamOf(call);
  if (stream === undefined) {
    call.write(reply);
    return;
  }
  call.write(reply, (error?: Error | null) => {
    if (error == null && !stream.closed && !stream.destroyed) stream.close(constants.NGHTTP2_NO_ERROR);
  });
}

/**
 * The reply after which Envoy sends nothing more on this stream: an immediate response, or
 * the answer to the last piece of the response (body or, without a body, headers).
 */
export function endsExchange(message: ProcessingRequest, reply: ProcessingResponse): boolean {
  if (reply.immediate_response !== undefined) return true;
  if (message.request === 'response_body') return message.response_body?.end_of_stream === true;
  // Not an answer left to the observer filter (body mode NONE): Envoy 1.40 does not count its
  // processing complete then, and takes a reset from the sidecar as a failed stream (the client's
  // answer is cut off). Envoy resets that stream itself when the request ends.
  if (message.request === 'response_headers') return message.response_headers?.end_of_stream === true && reply.mode_override === undefined;
  return false;
}

/**
 * Ends a stream from the sidecar's side with NO_ERROR (see writeReply: Envoy's own end is an
 * INTERNAL_ERROR reset, which costs Node a formatted stack trace). False when the HTTP/2 stream
 * cannot be reached (a grpc-js upgrade changed its shape): the caller ends the call instead.
 */
export function resetQuietly(call: ServerDuplexStream<ProcessingRequest, ProcessingResponse>): boolean {
  const stream = http2StreamOf(call);
  if (stream === undefined) return false;
  if (!stream.closed && !stream.destroyed) stream.close(constants.NGHTTP2_NO_ERROR);
  return true;
}

/**
 * The HTTP/2 stream under a grpc-js server call. grpc-js does not expose it: the call holds a
 * chain of intercepting calls (`call`, then `nextCall`), the last of which owns `stream`.
 * Undefined when a grpc-js upgrade changes that shape: the reply is then sent as before.
 */
function http2StreamOf(call: unknown): ServerHttp2Stream | undefined {
  let at = (call as { call?: unknown }).call;
  for (let depth = 0; typeof at === 'object' && at !== null && depth < 8; depth += 1) {
    const { stream, nextCall } = at as { stream?: unknown; nextCall?: unknown };
    if (isHttp2Stream(stream)) return stream;
    at = nextCall;
  }
  return undefined;
}

function isHttp2Stream(value: unknown): value is ServerHttp2Stream {
  return typeof value === 'object' && value !== null && typeof (value as ServerHttp2Stream).close === 'function' && typeof (value as ServerHttp2Stream).rstCode === 'number';
}
