import { LRUCache } from 'lru-cache';
import type { CachedAnswer } from './cached-answer.js';
import type { ResponseCacheStore } from './response-cache-store.js';

/** Per-entry bookkeeping beyond the answer's JSON (key, LRU links, timers), as a flat estimate. */
const ENTRY_OVERHEAD_BYTES = 256;

/**
 * The embedded store: an LRU bounded in bytes (lru-cache's maxSize), each entry sized as
 * the UTF-16 bytes of its JSON plus a fixed overhead, expiring after its TTL. Least recently
 * used entries are evicted first when a new one does not fit; one larger than the whole
 * bound is not stored.
 */
export class MemoryResponseCacheStore implements ResponseCacheStore {
  readonly #cache: LRUCache<string, CachedAnswer>;

  /**
   * @param maxBytes the bound on the estimated bytes of all entries together.
   * @param now monotonic milliseconds for expiry (performance.now by default; tests pass their own clock).
   */
  constructor(maxBytes: number, now: () => number = () => performance.now()) {
    this.#cache = new LRUCache<string, CachedAnswer>({
      perf: { now },
      // Read the clock on every check rather than caching it for a millisecond behind a timer.
      ttlResolution: 0,
      maxSize: maxBytes,
      sizeCalculation: (answer, key) => key.length * 2 + JSON.stringify(answer).length * 2 + ENTRY_OVERHEAD_BYTES,
      // An expired entry is never returned (checked on read), without a timer per entry.
      ttlAutopurge: false,
    });
  }

  get(key: string): CachedAnswer | undefined {
    return this.#cache.get(key);
  }

  set(key: string, answer: CachedAnswer, ttlMs: number): void {
    this.#cache.set(key, answer, { ttl: ttlMs });
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.#cache.size, bytes: this.#cache.calculatedSize };
  }
}
