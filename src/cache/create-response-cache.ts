import type { Registry } from 'prom-client';
import { durationMilliseconds } from '../config/duration.js';
import type { Configuration } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { createCacheMetrics } from './cache-metrics.js';
import { MemoryResponseCacheStore } from './memory-response-cache-store.js';
import { RedisResponseCacheStore } from './redis-response-cache-store.js';
import type { ResponseCacheStore } from './response-cache-store.js';
import { ResponseCache } from './response-cache.js';
import { localAddress } from '../config/local-address.js';
import { createGatewayEmbedder, type Embedder } from './gateway-embedder.js';
import { SemanticCache } from './semantic-cache.js';
import { SemanticIndex } from './semantic-index.js';

/**
 * The response cache for a configuration and its store, or undefined when no model and no
 * key opts in (then the request path has no cache stage and no cache metrics exist).
 * The Redis URL is cache.redis.url, else REDIS_URL. When a model or key sets `cache.semantic`,
 * the semantic stage embeds through the gateway's own listener (`embed` replaces that call in tests).
 */
export function createResponseCache(
  configuration: Configuration,
  dependencies: { registry: Registry; logger: Logger; clock: () => number; now: () => number; environment: Readonly<Record<string, string | undefined>>; embed?: Embedder },
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
  const metrics = createCacheMetrics(dependencies.registry, store);
  const semanticSettings = [...Object.values(configuration.models).map((model) => model.cache), ...configuration.keys.map((key) => key.cache)].flatMap((cache) => (cache ? (cache.semantic ?? []) : []));
  const semantic =
    semanticSettings.length === 0
      ? undefined
      : new SemanticCache({
          index: new SemanticIndex({ maxEntries: Math.max(...semanticSettings.map((entry) => entry.max_entries)) }),
          embed:
            dependencies.embed ??
            createGatewayEmbedder({
              baseUrl: `http://${localAddress(configuration.listener.address)}:${configuration.listener.port}`,
              onFailure: (reason) => {
                metrics.storeErrors.inc({ operation: 'embed' });
                dependencies.logger.warn({ reason }, 'semantic cache: no embedding; the request goes on as a miss');
              },
            }),
        });
  const cache = new ResponseCache({ store, metrics, logger: dependencies.logger, clock: dependencies.clock, now: dependencies.now, semantic });
  return { cache, store };
}
