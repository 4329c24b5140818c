import type { Registry } from 'prom-client';
import type { Configuration } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { createCacheMetrics } from './cache-metrics.js';
import { MemoryResponseCacheStore } from './memory-response-cache-store.js';
import { ResponseCache } from './response-cache.js';

/**
 * The response cache for a configuration, or undefined when no model and no key opts in
 * (then the request path has no cache stage at all and no cache metrics exist).
 */
export function createResponseCache(
  configuration: Configuration,
  dependencies: { registry: Registry; logger: Logger; clock: () => number; now: () => number },
): ResponseCache | undefined {
  const wanted = Object.values(configuration.models).some((model) => model.cache !== undefined) || configuration.keys.some((key) => key.cache !== undefined && key.cache !== false);
  if (!wanted) return undefined;
  const store = new MemoryResponseCacheStore(configuration.cache.max_bytes);
  return new ResponseCache({ store, metrics: createCacheMetrics(dependencies.registry, store), logger: dependencies.logger, clock: dependencies.clock, now: dependencies.now });
}
