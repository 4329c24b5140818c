import type { Redis } from 'ioredis';
import { createRedisClient } from '../stores/create-redis-client.js';
import type { CachedAnswer } from './cached-answer.js';
import type { ResponseCacheStore } from './response-cache-store.js';

export interface RedisResponseCacheStoreOptions {
  url: string;
  /** Prepended to every cache key ("llmgw:cache:"). */
  keyPrefix: string;
  /** Milliseconds one command may take before it fails (and the lookup is a miss). */
  commandTimeoutMs: number;
  /** Answers whose JSON is longer than this many bytes are not stored. */
  maxEntryBytes: number;
}

/**
 * Answers in Redis, shared by every replica: one string per entry (the answer's JSON) with
 * Redis's own expiry (SET ... PX ttl). The total size is Redis's to bound: give the cache its
 * own Redis (or database) with `maxmemory` and `maxmemory-policy allkeys-lru`, never the
 * governance Redis, whose data must not be evicted.
 *
 * Like the governance store's client, this one fails fast (no offline queue, one attempt per
 * command, a short timeout) so a request never waits on a Redis that is gone, and reconnects
 * in the background; the cache stage turns each failure into a miss.
 */
export class RedisResponseCacheStore implements ResponseCacheStore {
  readonly #client: Redis;
  readonly #options: RedisResponseCacheStoreOptions;

  constructor(options: RedisResponseCacheStoreOptions) {
    this.#options = options;
    this.#client = createRedisClient(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: options.commandTimeoutMs * 5,
      commandTimeout: options.commandTimeoutMs,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    });
    // Errors reach each command's promise; the event would otherwise crash the process.
    this.#client.on('error', () => {});
  }

  async get(key: string): Promise<CachedAnswer | undefined> {
    const text = await this.#client.get(this.#options.keyPrefix + key);
    return text === null ? undefined : (JSON.parse(text) as CachedAnswer);
  }

  async set(key: string, answer: CachedAnswer, ttlMs: number): Promise<void> {
    const text = JSON.stringify(answer);
    if (Buffer.byteLength(text) > this.#options.maxEntryBytes) return;
    await this.#client.set(this.#options.keyPrefix + key, text, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  get size(): undefined {
    return undefined;
  }

  async close(): Promise<void> {
    this.#client.disconnect();
  }
}
