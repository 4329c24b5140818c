import type { ProcessingRequest, ProcessingResponse } from './messages.js';

/**
 * One ext_proc stream's handler: Envoy opens one stream per HTTP request per filter.
 * handle() answers each message, synchronously when it can (the common case, and the
 * cheap one); close() runs exactly once when the stream ends for any reason.
 */
export interface StreamProcessor {
  handle(request: ProcessingRequest): ProcessingResponse | Promise<ProcessingResponse>;
  close(reason: StreamEndReason): void;
}

export type StreamEndReason = 'ended' | 'cancelled' | 'error';
