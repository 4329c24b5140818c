import type { Registry } from 'prom-client';
import { durationMilliseconds } from '../config/duration.js';
import type { Configuration } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { createCacheMetrics } from './cache-metrics.js';
import { MemoryResponseCacheStore } from './memory-response-cache-store.js';
import { RedisResponseCacheStore } from './redis-response-cache-store.js';
import type { ResponseCacheStore } from './response-cache-store.js';
import { ResponseCache } from './response-cache.js';

/**
 * The response cache for a configuration and its store, or undefined when no model and no
 * key opts in (then the request path has no cache stage and no cache metrics exist).
 * The Redis URL is cache.redis.url, else REDIS_URL.
 */
export function createResponseCache(
  configuration: Configuration,
  dependencies: { registry: Registry; logger: Logger; clock: () => number; now: () => number; environment: Readonly<Record<string, string | undefined>> },
): { cache: ResponseCache; store: ResponseCacheStore } | undefined {
  const wanted = Object.values(configuration.models).some((model) => model.cache !== undefined) || configuration.keys.some((key) => key.cache !== undefined && key.cache !== false);
  if (!wanted) return undefined;
  const settings = configuration.cache;
  const store: ResponseCacheStore =
    settings.store === 'redis'
      ? new RedisResponseCacheStore({
          url: settings.redis.url ?? dependencies.environment.REDIS_URL ?? 'redis://127.0.0.1:6379',
          keyPrefix: settings.redis.key_prefix,
          commandTimeoutMs: durationMilliseconds(settings.redis.command_timeout),
          maxEntryBytes: settings.max_entry_bytes,
        })
      : new MemoryResponseCacheStore(settings.max_bytes);
  const cache = new ResponseCache({ store, metrics: createCacheMetrics(dependencies.registry, store), logger: dependencies.logger, clock: dependencies.clock, now: dependencies.now });
  return { cache, store };
}
