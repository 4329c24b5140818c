import { ROUTED_PROCESSING_MODE } from '../config/envoy-contract.js';
import { asGatewayError, GatewayError } from '../errors.js';
import { credentialFrom } from '../governance/authenticate.js';
import { isForwarded } from '../endpoints/create-endpoint-registry.js';
import { answerModels } from '../pipeline/answer-models.js';
import { Exchange } from '../pipeline/exchange.js';
import type { PipelineDependencies } from '../pipeline/pipeline-dependencies.js';
import { refuse } from '../pipeline/refuse.js';
import { runStages, type RequestPipeline } from '../pipeline/request-pipeline.js';
import { onResponseBody } from '../pipeline/response-body.js';
import { onResponseHeaders } from '../pipeline/response-headers.js';
import { endExchange } from '../pipeline/end-exchange.js';
import { clientHeadersToRemove, headerMutation, readHeaders } from './headers.js';
import type { HttpBody, HttpHeaders, ProcessingRequest, ProcessingResponse } from './messages.js';
import { parseTraceparent } from './parse-traceparent.js';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';
import { continueRequestHeaders } from './responses.js';
import type { StreamEndReason, StreamProcessor } from './stream-processor.js';

export interface RouterProcessorDependencies extends PipelineDependencies {
  /** The request stages and response observers, composed once by the composition root (createRequestPipeline). */
  pipeline: RequestPipeline;
}

/**
 * The router-level processor: one per client request, in the HCM filter chain. It only
 * dispatches Envoy's phases; what happens in them is the pipeline's (src/pipeline/).
 * Request headers: the endpoint registry picks the endpoint (404/405 there); credentials and
 * internal headers are stripped; GET /v1/models is answered at once.
 * Request body (buffered): the request stages, from the endpoint's parser to forwarding.
 * Response headers and body: the endpoint's translation for the provider that answered, and
 * the response observers, chunk by chunk for streams.
 * Close: the lifecycle decides what an unfinished request owes.
 */
export class RouterProcessor implements StreamProcessor {
  readonly #pipeline: RequestPipeline;
  readonly #exchange: Exchange;

  constructor(dependencies: RouterProcessorDependencies) {
    this.#pipeline = dependencies.pipeline;
    this.#exchange = new Exchange(dependencies);
  }

  handle(request: ProcessingRequest): ProcessingResponse | Promise<ProcessingResponse> {
    switch (request.request) {
      case 'request_headers':
        return this.#onRequestHeaders(request.request_headers ?? {});
      case 'request_body':
        return this.#onRequestBody(request.request_body ?? {});
      case 'response_headers': {
        const reply = onResponseHeaders(this.#exchange, this.#pipeline, request.response_headers ?? {}, request.attributes);
        // Not left to the observer filter at response headers: the router filter reads the body, if any.
        this.#exchange.observation?.decide('router');
        return reply;
      }
      case 'response_body':
        return onResponseBody(this.#exchange, this.#pipeline, request.response_body ?? {});
      case 'request_trailers':
        return { request_trailers: {} };
      case 'response_trailers':
        return { response_trailers: {} };
      default:
        throw new Error(`unexpected ext_proc message ${String(request.request)}`);
    }
  }

  close(_reason: StreamEndReason): void {
    const exchange = this.#exchange;
    if (exchange.closed) return;
    exchange.closed = true;
    const observation = exchange.observation;
    if (observation === undefined) {
      endExchange(exchange, this.#pipeline);
      return;
    }
    // A marked request: if the answer was left to the observer stream, that stream ends the request.
    observation.decide('router');
    if (observation.owner === 'router' || observation.claimed) {
      if (observation.owner === 'router') endExchange(exchange, this.#pipeline);
      return;
    }
    // Left to an observer stream that has not shown up (yet): its first chunk may still be on its way
    // on another gRPC stream. Ended here unless it arrives in time; once ended, it is ignored.
    setTimeout(() => {
      if (!observation.claimed) endExchange(exchange, this.#pipeline);
    }, OBSERVER_GRACE_MS).unref();
  }

  #onRequestHeaders(message: HttpHeaders): ProcessingResponse | Promise<ProcessingResponse> {
    const exchange = this.#exchange;
    const { dependencies } = exchange;
    const headers = readHeaders(message.headers);
    exchange.method = headers[':method'] ?? '';
    exchange.clientPath = headers[':path'] ?? '';
    exchange.path = exchange.clientPath.split('?')[0] ?? '';
    exchange.view = dependencies.view();
    const requestId = requestIdOf(headers, dependencies.newId);
    exchange.requestId = requestId.id;
    // Read before the headers are stripped: the credential is the client's gateway key, never forwarded.
    exchange.credential = credentialFrom(headers);
    exchange.requestHeaders = headers;
    const match = dependencies.endpoints.match(exchange.method, exchange.path);
    if (match.refusal !== undefined) {
      exchange.clientFormat = match.clientFormat;
      return refuse(exchange, match.refusal);
    }
    const endpoint = match.endpoint;
    exchange.clientFormat = endpoint.clientFormat;
    try {
      if (!isForwarded(endpoint)) {
        const caller = dependencies.governance.identify(exchange.credential);
        if (caller === undefined) return answerModels(exchange, undefined);
        return caller.then(
          (key) => answerModels(exchange, key),
          (thrown: unknown) => refuse(exchange, asGatewayError(thrown)),
        );
      }
      exchange.endpoint = endpoint;
      if (message.end_of_stream) {
        // Parsing the empty body gives the endpoint's own refusal (400 missing_body, in its words).
        endpoint.parse(EMPTY, headers);
        throw new GatewayError({ status: 400, code: 'missing_body', message: 'The request body is empty; expected a JSON request body.' });
      }
    } catch (thrown) {
      return refuse(exchange, asGatewayError(thrown));
    }
    // W3C trace context: a client's traceparent passes on to the provider; without one the gateway starts a trace.
    const set: Record<string, string> = {};
    // Only without Envoy's id (none, or a trusted client's unusable one): Envoy's access log and answer then name the sidecar's.
    if (requestId.replaced) set[REQUEST_ID_HEADER] = requestId.id;
    const traceparent = parseTraceparent(headers.traceparent);
    if (traceparent !== undefined) {
      exchange.traceId = traceparent;
    } else {
      exchange.traceId = dependencies.newId().replace(/-/g, '');
      set.traceparent = `00-${exchange.traceId}-${dependencies.newId().replace(/-/g, '').slice(0, 16)}-01`;
    }
    // Only now are responses sent to the sidecar: a reply Envoy makes before this (a codec error) never waits on it.
    return continueRequestHeaders(headerMutation(set, clientHeadersToRemove(headers)), ROUTED_PROCESSING_MODE);
  }

  /** The request stages run on the buffered body; the last one forwards it to Envoy's router. */
  #onRequestBody(message: HttpBody): ProcessingResponse | Promise<ProcessingResponse> {
    this.#exchange.requestBody = message.body ?? EMPTY;
    return runStages(this.#exchange, this.#pipeline.stages);
  }
}

const EMPTY = Buffer.alloc(0);

/** How long a request left to the observer waits for its observer stream after the router's ended (Envoy sends both at once). */
const OBSERVER_GRACE_MS = 1000;
