import { Server, ServerCredentials, status, type Metadata, type ServerDuplexStream } from '@grpc/grpc-js';
import { PHASE_METADATA_KEY, type Phase } from '../config/envoy-contract.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { ProcessingRequest, ProcessingResponse } from './messages.js';
import { describeExchange } from './describe-exchange.js';
import { loadExternalProcessorService } from './proto.js';
import type { StreamEndReason, StreamProcessor } from './stream-processor.js';
import type { StreamObserver } from './stream-observer.js';
import { resetQuietly, writeReply } from './write-reply.js';


export interface ExtProcServerDependencies {
  createProcessor: (phase: Phase) => StreamProcessor;
  /** The observability-mode filter's reader (sidecar.pass_through_observability_mode); absent: such streams are refused. */
  createObserver?: (() => StreamObserver) | undefined;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Largest gRPC message accepted: Envoy sends whole buffered bodies in one message. */
  maxMessageBytes: number;
}

/**
 * The grpc-js server behind both ext_proc filters. Envoy says which filter opened a stream
 * through the initial metadata the renderer configures (x-gateway-phase).
 */
export class ExtProcServer {
  readonly #server: Server;
  readonly #dependencies: ExtProcServerDependencies;
  readonly #open = new Set<ServerDuplexStream<ProcessingRequest, ProcessingResponse>>();
  #draining = false;
  /** Read once: the level is fixed at start, and the per-message path must not even ask. */
  readonly #debug: boolean;
  readonly #trace: boolean;
  /** Numbers streams in debug lines, so the lines of one stream can be followed. */
  #streams = 0;

  constructor(dependencies: ExtProcServerDependencies) {
    this.#dependencies = dependencies;
    this.#debug = dependencies.logger.isLevelEnabled('debug');
    this.#trace = dependencies.logger.isLevelEnabled('trace');
    const slack = 1024 * 1024;
    this.#server = new Server({
      'grpc.max_receive_message_length': dependencies.maxMessageBytes + slack,
      'grpc.max_send_message_length': dependencies.maxMessageBytes + slack,
      // Envoy keeps one long-lived HTTP/2 connection; answer its keepalive pings.
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 5000,
      // Channelz (a debugging registry) costs every call counter updates and timestamps; nothing reads it here.
      'grpc.enable_channelz': 0,
    });
    this.#server.addService(loadExternalProcessorService(), { Process: (call: ServerDuplexStream<ProcessingRequest, ProcessingResponse>) => this.#process(call) });
  }

  get openStreams(): number {
    return this.#open.size;
  }

  listen(address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port)));
    });
  }

  /** Refuses new streams from now on; in-flight ones go on. */
  startDraining(): void {
    this.#draining = true;
  }

  /** Waits up to graceMs for open streams to finish, then cuts the rest. */
  async shutdown(graceMs: number): Promise<void> {
    this.#draining = true;
    const deadline = Date.now() + graceMs;
    while (this.#open.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, 200);
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #process(call: ServerDuplexStream<ProcessingRequest, ProcessingResponse>): void {
    const { logger, metrics } = this.#dependencies;
    if (this.#draining) {
      call.emit('error', { code: status.UNAVAILABLE, details: 'sidecar is shutting down' });
      return;
    }
    const phase = phaseOf(call.metadata);
    if (phase === 'observer') {
      this.#observe(call);
      return;
    }
    const processor = this.#dependencies.createProcessor(phase);
    this.#open.add(call);
    metrics.activeStreams.inc({ phase });
    const stream = this.#debug ? ++this.#streams : 0;
    if (this.#debug) logger.debug({ phase, stream }, 'ext_proc stream opened');
    let closed = false;
    const close = (reason: StreamEndReason) => {
      if (closed) return;
      closed = true;
      this.#open.delete(call);
      metrics.activeStreams.dec({ phase });
      if (this.#debug) logger.debug({ phase, stream, reason }, 'ext_proc stream ended');
      try {
        processor.close(reason);
      } catch (error) {
        logger.error({ err: error, phase }, 'ext_proc processor failed while closing');
      }
    };
    const fail = (error: unknown) => {
      logger.error({ err: error, phase }, 'ext_proc processing failed; failing the stream closed');
      close('error');
      call.emit('error', { code: status.INTERNAL, details: 'gateway processing failed' });
    };

    // Replies must go back in order, one per message (readInOrder).
    const answer = (message: ProcessingRequest) => {
      if (closed) return undefined;
      const reply = processor.handle(message);
      if (reply instanceof Promise) {
        return reply.then((value) => {
          if (this.#debug) this.#logExchange(phase, stream, message, value);
          if (!closed) writeReply(call, message, value, phase === 'router');
        });
      }
      if (this.#debug) this.#logExchange(phase, stream, message, reply);
      writeReply(call, message, reply, phase === 'router');
      return undefined;
    };
    readInOrder(call, answer, fail, close);
  }

  /**
   * An observability-mode stream: Envoy ignores replies, so none is written. Messages are read in
   * order (one that waits holds the next); once the last is read the sidecar ends the stream
   * (a NO_ERROR reset, see write-reply.ts), instead of holding it open until Envoy's deferred close.
   */
  #observe(call: ServerDuplexStream<ProcessingRequest, ProcessingResponse>): void {
    const { logger, metrics, createObserver } = this.#dependencies;
    if (createObserver === undefined) {
      call.emit('error', { code: status.UNIMPLEMENTED, details: 'observer streams are not enabled' });
      return;
    }
    const observer = createObserver();
    const phase = 'observer';
    this.#open.add(call);
    metrics.activeStreams.inc({ phase });
    let closed = false;
    const close = (reason: StreamEndReason) => {
      if (closed) return;
      closed = true;
      this.#open.delete(call);
      metrics.activeStreams.dec({ phase });
      try {
        observer.close(reason);
      } catch (error) {
        logger.error({ err: error, phase }, 'ext_proc observer failed while closing');
      }
    };
    const finishIfDone = () => {
      if (!observer.finished || closed) return;
      close('ended');
      // Envoy sends nothing after the last chunk; its own end would be an INTERNAL_ERROR reset.
      if (!resetQuietly(call)) call.end();
    };
    const fail = (error: unknown) => {
      logger.error({ err: error, phase }, 'ext_proc observing failed');
      close('error');
      call.emit('error', { code: status.INTERNAL, details: 'gateway observing failed' });
    };
    const read = (message: ProcessingRequest): Promise<void> | undefined => {
      if (closed) return undefined;
      const waiting = observer.observe(message);
      if (waiting !== undefined) return waiting.then(finishIfDone);
      finishIfDone();
      return undefined;
    };
    readInOrder(call, read, fail, close);
  }

  /** One debug line per message and reply; a streamed response's chunks at trace level, there can be thousands. */
  #logExchange(phase: Phase, stream: number, message: ProcessingRequest, reply: ProcessingResponse): void {
    const chunk = message.request === 'response_body' && message.response_body?.end_of_stream !== true;
    if (chunk && !this.#trace) return;
    const fields = { phase, stream, ...describeExchange(message, reply) };
    if (chunk) this.#dependencies.logger.trace(fields, 'ext_proc message answered');
    else this.#dependencies.logger.debug(fields, 'ext_proc message answered');
  }
}

function phaseOf(metadata: Metadata): Phase {
  const phase = metadata.get(PHASE_METADATA_KEY)[0];
  return phase === 'attempt' || phase === 'observer' ? phase : 'router';
}

/**
 * Hands a stream's messages to `handle` one at a time, in order. Most are handled
 * synchronously; one whose handling returns a promise holds the later ones until it settles.
 * A throw or a rejection goes to `fail`. When Envoy half-closes the stream, it is closed
 * ('ended') and ended once the last message has been handled; a cancel or an error closes it.
 */
function readInOrder(
  call: ServerDuplexStream<ProcessingRequest, ProcessingResponse>,
  handle: (message: ProcessingRequest) => Promise<void> | undefined,
  fail: (error: unknown) => void,
  close: (reason: StreamEndReason) => void,
): void {
  let pending: Promise<void> | undefined;
  call.on('data', (message: ProcessingRequest) => {
    if (pending !== undefined) {
      pending = pending.then(() => handle(message)).catch(fail);
      return;
    }
    try {
      const next = handle(message);
      if (next !== undefined) pending = next.catch(fail);
    } catch (error) {
      fail(error);
    }
  });
  call.on('end', () => {
    const finish = () => {
      close('ended');
      call.end();
    };
    if (pending) pending.then(finish, finish);
    else finish();
  });
  call.on('cancelled', () => close('cancelled'));
  call.on('error', () => close('error'));
}
