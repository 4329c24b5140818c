/**
 * The requests this sidecar process is routing, by request id: a second request with an id
 * in flight is refused (request_id_in_use), and llm_gateway_request_state_entries counts them.
 * The attempt processor does not read it (it is stateless). Entries are removed when the router
 * stream ends; the TTL only catches streams that vanished without ending, and the size
 * bound keeps a flood of abandoned requests from growing memory without limit.
 */
export class RequestStore<T> {
  readonly #entries = new Map<string, { value: T; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { ttlMs: number; maxEntries: number; now: () => number }) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Returns false when the store is full (the caller refuses the request). */
  put(id: string, value: T): boolean {
    if (this.#entries.size >= this.#maxEntries) {
      this.sweep();
      if (this.#entries.size >= this.#maxEntries) return false;
    }
    this.#entries.set(id, { value, expiresAt: this.#now() + this.#ttlMs });
    return true;
  }

  get(id: string): T | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(id);
      return undefined;
    }
    return entry.value;
  }

  delete(id: string): void {
    this.#entries.delete(id);
  }

  /** Drops expired entries; returns how many. */
  sweep(): number {
    const now = this.#now();
    let removed = 0;
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(id);
        removed += 1;
      }
    }
    return removed;
  }
}
