import { LRUCache } from 'lru-cache';
import type { CachedAnswer } from './cached-answer.js';
import type { ResponseCacheStore } from './response-cache-store.js';

/** Per-entry bookkeeping beyond the answer's JSON (key, LRU links, timers), as a flat estimate. */
const ENTRY_OVERHEAD_BYTES = 256;

/** Where the store's changes are copied so that they outlive the process (SqliteCacheJournal). */
export interface CacheJournal {
  /** `expiresAt`: wall-clock milliseconds. Must not block: the journal writes later. */
  put(key: string, answer: CachedAnswer, expiresAt: number): void;
  remove(key: string): void;
  close(): void;
}

export interface MemoryResponseCacheStoreOptions {
  /** Monotonic milliseconds for expiry (performance.now by default; tests pass their own clock). */
  now?: () => number;
  /** A copy on disk: every entry stored, evicted or expired is noted there (absent: memory only). */
  journal?: CacheJournal | undefined;
  /** Wall-clock milliseconds, for the journal's expiry times (Date.now by default). */
  clock?: () => number;
}

/**
 * The embedded store: an LRU bounded in bytes (lru-cache's maxSize), each entry sized as
 * the UTF-16 bytes of its JSON plus a fixed overhead, expiring after its TTL. Least recently
 * used entries are evicted first when a new one does not fit; one larger than the whole
 * bound is not stored. With a journal, the store's content is mirrored to disk and
 * `restore` fills it back at start.
 */
export class MemoryResponseCacheStore implements ResponseCacheStore {
  readonly #cache: LRUCache<string, CachedAnswer>;
  readonly #journal: CacheJournal | undefined;
  readonly #clock: () => number;

  /**
   * @param maxBytes the bound on the estimated bytes of all entries together.
   * @param options a test clock, or a function as before (the monotonic clock), and the journal.
   */
  constructor(maxBytes: number, options: MemoryResponseCacheStoreOptions | (() => number) = {}) {
    const settings = typeof options === 'function' ? { now: options } : options;
    const now = settings.now ?? (() => performance.now());
    this.#journal = settings.journal;
    this.#clock = settings.clock ?? Date.now;
    const journal = this.#journal;
    this.#cache = new LRUCache<string, CachedAnswer>({
      perf: { now },
      // Read the clock on every check rather than caching it for a millisecond behind a timer.
      ttlResolution: 0,
      maxSize: maxBytes,
      sizeCalculation: (answer, key) => key.length * 2 + JSON.stringify(answer).length * 2 + ENTRY_OVERHEAD_BYTES,
      // An expired entry is never returned (checked on read), without a timer per entry.
      ttlAutopurge: false,
      // What leaves memory (evicted beyond max_bytes, expired) leaves the disk too; a replaced entry is rewritten by set.
      ...(journal === undefined ? {} : { dispose: (_answer: CachedAnswer, key: string, reason: LRUCache.DisposeReason) => (reason === 'set' ? undefined : journal.remove(key)) }),
    });
  }

  get(key: string): CachedAnswer | undefined {
    return this.#cache.get(key);
  }

  set(key: string, answer: CachedAnswer, ttlMs: number): void {
    this.#cache.set(key, answer, { ttl: ttlMs });
    // Only what the LRU took: an entry larger than the whole bound is not kept on disk either.
    if (this.#journal !== undefined && this.#cache.has(key)) this.#journal.put(key, answer, this.#clock() + ttlMs);
  }

  /** Puts back an entry read from the journal at start (not written to it again). */
  restore(key: string, answer: CachedAnswer, expiresAt: number): void {
    const ttlMs = expiresAt - this.#clock();
    if (ttlMs > 0) this.#cache.set(key, answer, { ttl: ttlMs });
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.#cache.size, bytes: this.#cache.calculatedSize };
  }

  /** Writes what the journal has pending and closes it. */
  async close(): Promise<void> {
    this.#journal?.close();
  }
}
