import { Gauge, type Registry } from 'prom-client';
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
import { RedisSemanticSync, type SharedSemanticEntry } from './redis-semantic-sync.js';
import { cacheJournalPath } from './cache-journal-path.js';
import { SqliteCacheJournal } from './sqlite-cache-journal.js';

/**
 * The response cache for a configuration and its store, or undefined when no model and no
 * key opts in (then the request path has no cache stage and no cache metrics exist).
 * The Redis URL is cache.redis.url, else REDIS_URL. When a model or key sets `cache.semantic`,
 * the semantic stage embeds through the gateway's own listener (`embed` replaces that call in tests),
 * and with the redis store its index is kept in step with the other replicas' (RedisSemanticSync).
 */
/** Other processes' semantic indexes to keep in step with (sidecar workers, src/workers). */
export interface SemanticPeers {
  publish(entry: SharedSemanticEntry): void;
  onEntry(listener: (entry: SharedSemanticEntry) => void): void;
}

export function createResponseCache(
  configuration: Configuration,
  dependencies: {
    registry: Registry;
    logger: Logger;
    clock: () => number;
    now: () => number;
    environment: Readonly<Record<string, string | undefined>>;
    embed?: Embedder;
    /** A memory store held by another process (a sidecar worker's, in the primary): used instead of one here, and its copy on disk is that process's. */
    sharedStore?: ResponseCacheStore | undefined;
    /** The other sidecar workers' semantic indexes (without Redis): entries stored here are sent to them, theirs added here. */
    semanticPeers?: SemanticPeers | undefined;
  },
): { cache: ResponseCache; store: ResponseCacheStore; close: () => Promise<void> } | undefined {
  const wanted = Object.values(configuration.models).some((model) => model.cache !== undefined) || configuration.keys.some((key) => key.cache !== undefined && key.cache !== false);
  if (!wanted) return undefined;
  const settings = configuration.cache;
  const semanticSettings = [...Object.values(configuration.models).map((model) => model.cache), ...configuration.keys.map((key) => key.cache)].flatMap((cache) => (cache ? (cache.semantic ?? []) : []));
  const maxEntries = Math.max(...semanticSettings.map((entry) => entry.max_entries));
  // Counted once the metrics exist (they need the store): a journal write that failed.
  let onJournalError = (_error: unknown): void => {};
  const journal = dependencies.sharedStore !== undefined ? undefined : openJournal(configuration, dependencies, Number.isFinite(maxEntries) ? maxEntries : 0, (error) => onJournalError(error));
  const store: ResponseCacheStore =
    settings.store === 'redis'
      ? new RedisResponseCacheStore({
          url: settings.redis.url ?? dependencies.environment.REDIS_URL ?? 'redis://127.0.0.1:6379',
          keyPrefix: settings.redis.key_prefix,
          commandTimeoutMs: durationMilliseconds(settings.redis.command_timeout),
          maxEntryBytes: settings.max_entry_bytes,
        })
      : (dependencies.sharedStore ?? restoredMemoryStore(settings.max_bytes, journal, dependencies.clock));
  const metrics = createCacheMetrics(dependencies.registry, store);
  onJournalError = (error) => {
    metrics.storeErrors.inc({ operation: 'persist' });
    dependencies.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'response cache: writing the copy on disk failed; the last answers stored may not survive a restart');
  };
  const index = semanticSettings.length === 0 ? undefined : new SemanticIndex({ maxEntries });
  // The semantic entries the journal kept are put back into the index (their TTL still runs).
  if (index !== undefined && journal !== undefined) {
    for (const entry of journal.loadSemantic()) index.add(entry.partition, entry.vector, entry.answer, entry.expiresAt - dependencies.clock());
  }
  // With the shared store, every replica's index follows the others' through a Redis stream.
  const sync =
    index === undefined || settings.store !== 'redis'
      ? undefined
      : new RedisSemanticSync({
          url: settings.redis.url ?? dependencies.environment.REDIS_URL ?? 'redis://127.0.0.1:6379',
          keyPrefix: settings.redis.key_prefix,
          commandTimeoutMs: durationMilliseconds(settings.redis.command_timeout),
          maxEntries,
          clock: dependencies.clock,
          onEntry: (entry) => index.add(entry.partition, entry.vector, entry.answer, entry.expiresAt - dependencies.clock()),
          onError: (operation, error) => {
            metrics.storeErrors.inc({ operation: `semantic_${operation}` });
            dependencies.logger.warn({ error: error instanceof Error ? error.message : String(error) }, `semantic cache: Redis ${operation} failed; replicas may not share new entries until it is back`);
          },
        });
  sync?.start();
  if (index !== undefined && sync === undefined) dependencies.semanticPeers?.onEntry((entry) => index.add(entry.partition, entry.vector, entry.answer, entry.expiresAt - dependencies.clock()));
  const peers = sync === undefined ? dependencies.semanticPeers : undefined;
  if (index !== undefined) {
    new Gauge({
      name: 'llm_gateway_cache_semantic_entries',
      help: "Answers held by this replica's semantic cache index (its own and those other replicas shared).",
      // Sidecar workers keep their indexes in step: the same entries in each, not a count to add up.
      aggregator: 'max',
      registers: [dependencies.registry],
      collect() {
        this.set(index.size);
      },
    });
  }
  const semantic =
    index === undefined
      ? undefined
      : new SemanticCache({
          index,
          clock: dependencies.clock,
          ...(sync !== undefined
            ? { share: (entry: SharedSemanticEntry) => sync.publish(entry) }
            : peers !== undefined
              ? { share: (entry: SharedSemanticEntry) => peers.publish(entry) }
              : journal !== undefined
                ? { share: (entry: SharedSemanticEntry) => journal.putSemantic(entry) }
                : {}),
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
  const close = async () => {
    await sync?.close();
    await store.close?.();
  };
  return { cache, store, close };
}

/**
 * The memory store's copy on disk (see cacheJournalPath), or undefined: none configured, or
 * the file cannot be opened (then the cache runs in memory only, with a warning: a cache that
 * cannot persist is still a cache, and never a reason not to start).
 */
function openJournal(
  configuration: Configuration,
  dependencies: { logger: Logger; clock: () => number },
  maxSemanticEntries: number,
  onError: (error: unknown) => void,
): SqliteCacheJournal | undefined {
  const path = cacheJournalPath(configuration);
  if (path === undefined) return undefined;
  try {
    return SqliteCacheJournal.open({ path, clock: dependencies.clock, maxSemanticEntries, onError: (_operation, error) => onError(error) });
  } catch (error) {
    dependencies.logger.warn({ path, error: error instanceof Error ? error.message : String(error) }, 'response cache: cannot open its file; answers are kept in memory only and are lost on restart');
    return undefined;
  }
}

/** The memory store, filled back with what the journal kept (oldest first, so the LRU keeps the newest within max_bytes). */
function restoredMemoryStore(maxBytes: number, journal: SqliteCacheJournal | undefined, clock: () => number): MemoryResponseCacheStore {
  const store = new MemoryResponseCacheStore(maxBytes, { journal, clock });
  for (const entry of journal?.loadExact() ?? []) store.restore(entry.key, entry.answer, entry.expiresAt);
  return store;
}
