import { asGatewayError } from '../errors.js';
import type { ProcessingResponse } from '../extproc/messages.js';
import type { Exchange } from './exchange.js';
import { refuse } from './refuse.js';
import type { RequestStage, StageResult } from './request-stage.js';
import type { ResponseObserver } from './response-observer.js';

/**
 * The request path of a gateway, composed once at start (createRequestPipeline, from the
 * composition root): the request stages in order, the last of which answers (it hands the
 * request to Envoy's router), and the response observers in order.
 */
export interface RequestPipeline {
  readonly stages: readonly RequestStage[];
  readonly observers: readonly ResponseObserver[];
  /** The observers with an onChunk hook, so the per-chunk path visits only those. */
  readonly chunkObservers: readonly ResponseObserver[];
}

export function requestPipeline(stages: readonly RequestStage[], observers: readonly ResponseObserver[]): RequestPipeline {
  return Object.freeze({ stages, observers, chunkObservers: observers.filter((observer) => observer.onChunk !== undefined) });
}

/**
 * Runs the stages from `from` until one answers. Synchronous while the stages are; after a
 * stage's promise, the rest run when it settles. A thrown error or a rejection is refused
 * in the client's format, naming the request's model as it stood then.
 */
export function runStages(exchange: Exchange, stages: readonly RequestStage[], from = 0): ProcessingResponse | Promise<ProcessingResponse> {
  for (let at = from; at < stages.length; at += 1) {
    let result: StageResult | Promise<StageResult>;
    try {
      result = stages[at]!.run(exchange);
    } catch (thrown) {
      return refuse(exchange, asGatewayError(thrown), exchange.model);
    }
    if (result instanceof Promise) {
      const next = at + 1;
      return result.then(
        (answer) => answer ?? runStages(exchange, stages, next),
        (thrown: unknown) => refuse(exchange, asGatewayError(thrown), exchange.model),
      );
    }
    if (result !== undefined) return result;
  }
  // The last stage forwards: reaching this is a composition error, refused as an internal one.
  return refuse(exchange, asGatewayError(new Error('request pipeline: no stage answered')), exchange.model);
}
