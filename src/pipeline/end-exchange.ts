import type { Exchange } from './exchange.js';
import type { RequestPipeline } from './request-pipeline.js';

/**
 * The request's stream ended (the router's, or for an observed answer the observer's): a request
 * that reached a provider and did not finish is metered as cut short (the lifecycle decides, once),
 * and its shared state goes.
 */
export function endExchange(exchange: Exchange, pipeline: RequestPipeline): void {
  // An admission still being asked for, or one that was never used, is released by the lifecycle.
  if (exchange.lifecycle.cancel() === 'cut-short') for (const observer of pipeline.observers) observer.onCutShort?.(exchange);
  const context = exchange.context;
  if (context === undefined) return;
  exchange.dependencies.store.delete(context.id);
  exchange.dependencies.observed?.delete(context.id, exchange);
}
