import { REQUEST_ID_ATTRIBUTE } from '../config/envoy-contract.js';
import { endExchange } from '../pipeline/end-exchange.js';
import type { Exchange } from '../pipeline/exchange.js';
import type { ObservedExchanges } from '../pipeline/observed-exchanges.js';
import type { RequestPipeline } from '../pipeline/request-pipeline.js';
import { onResponseBody } from '../pipeline/response-body.js';
import type { HttpBody, ProcessingRequest } from './messages.js';
import type { StreamEndReason } from './stream-processor.js';
import type { StreamObserver } from './stream-observer.js';

export interface ObserverProcessorDependencies {
  observed: ObservedExchanges<Exchange>;
  pipeline: RequestPipeline;
}

/**
 * The observability-mode filter's stream for one request (sidecar.pass_through_observability_mode):
 * the answer's body chunks, as Envoy passes them to the client without waiting. The first names
 * the request (the router's request id, an attribute); the chunks then go through the same
 * response path as the router filter's (pipeline/response-body.ts: metering, cache fill), whose
 * replies are dropped. A request the router processor kept (pipeline/observation.ts) or does not
 * know is ignored. When this stream ends before the answer did, the request is metered as cut short.
 */
export class ObserverProcessor implements StreamObserver {
  readonly #dependencies: ObserverProcessorDependencies;
  #exchange: Exchange | undefined;
  /** Nothing more to read: an unknown request, one the router filter reads, or the answer's end. */
  #ignoring = false;
  /** A whole (not streamed) answer's chunks, read as one body at its end, as the router filter gets it. */
  #parts: Buffer[] = [];
  #finished = false;

  constructor(dependencies: ObserverProcessorDependencies) {
    this.#dependencies = dependencies;
  }

  get finished(): boolean {
    return this.#finished;
  }

  observe(request: ProcessingRequest): Promise<void> | undefined {
    if (this.#ignoring || request.request !== 'response_body') return undefined;
    const exchange = this.#exchange ?? this.#claim(request);
    const observation = exchange?.observation;
    if (exchange === undefined || observation === undefined) return undefined;
    const body = request.response_body ?? {};
    if (observation.owner === 'pending') return observation.decided()!.then(() => this.#read(exchange, body));
    return this.#read(exchange, body);
  }

  close(_reason: StreamEndReason): void {
    const exchange = this.#exchange;
    if (exchange?.observation?.owner === 'observer') endExchange(exchange, this.#dependencies.pipeline);
  }

  #claim(request: ProcessingRequest): Exchange | undefined {
    const id = request.attributes?.['envoy.filters.http.ext_proc']?.fields?.[REQUEST_ID_ATTRIBUTE]?.stringValue;
    const exchange = id === undefined ? undefined : this.#dependencies.observed.get(id);
    if (exchange?.observation === undefined) {
      this.#ignoring = true;
      return undefined;
    }
    exchange.observation.claimed = true;
    this.#exchange = exchange;
    return exchange;
  }

  #read(exchange: Exchange, message: HttpBody): Promise<void> | undefined {
    if (this.#ignoring) return undefined;
    if (exchange.observation!.owner !== 'observer') {
      this.#ignoring = true;
      this.#exchange = undefined;
      return undefined;
    }
    const endOfStream = message.end_of_stream === true;
    if (endOfStream) {
      this.#finished = true;
      this.#ignoring = true;
    }
    let chunk = message.body ?? EMPTY;
    if (exchange.translator === undefined) {
      // A whole answer: the router filter would have had it in one message.
      if (chunk.length > 0) this.#parts.push(chunk);
      if (!endOfStream) return undefined;
      chunk = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts);
      this.#parts = [];
    }
    const reply = onResponseBody(exchange, this.#dependencies.pipeline, { body: chunk, end_of_stream: endOfStream });
    return reply instanceof Promise ? reply.then(() => undefined) : undefined;
  }
}

const EMPTY = Buffer.alloc(0);
