import type { ProcessingRequest } from './messages.js';
import type { StreamEndReason } from './stream-processor.js';

/**
 * One observability-mode ext_proc stream's reader: Envoy sends messages and ignores any reply,
 * so none is written. observe() returns a promise when the next message must wait for it;
 * `finished` says the last message was read (the sidecar then ends the stream itself);
 * close() runs exactly once when the stream ends for any reason.
 */
export interface StreamObserver {
  observe(request: ProcessingRequest): Promise<void> | undefined;
  readonly finished: boolean;
  close(reason: StreamEndReason): void;
}
