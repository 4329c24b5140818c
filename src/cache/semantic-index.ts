import { createRequire } from 'node:module';
import { LRUCache } from 'lru-cache';
import type usearchModule from 'usearch';
import type { CachedAnswer } from './cached-answer.js';

/** A stored answer found near a query vector. */
export interface SemanticMatch {
  answer: CachedAnswer;
  /** Cosine similarity to the query, in [-1, 1]. */
  similarity: number;
}

interface Entry {
  partition: string;
  answer: CachedAnswer;
}

const require = createRequire(import.meta.url);
/**
 * USearch's native binding, loaded by the first index: ~2 MiB of RSS that a sidecar without
 * a semantic cache never needs.
 */
let usearch: typeof usearchModule;

/** Neighbours asked of the graph per lookup: a few, so an expired or evicted one does not hide a live one behind it. */
const CANDIDATES = 4;

/**
 * The semantic cache's embedded index: one USearch HNSW graph (cosine metric) per partition
 * key, so a search never crosses a tenant, model, parameter set or conversation, and the
 * answers in a bounded LRU (with each entry's TTL) whose eviction also removes the vector
 * from its graph. Synchronous and in-process: a search is microseconds, not a network call.
 *
 * USearch (github.com/unum-cloud/usearch) ships prebuilt Node binaries for linux-x64/arm64,
 * darwin and win32 in its npm package, so it installs without a compiler.
 */
export class SemanticIndex {
  readonly #graphs = new Map<string, InstanceType<typeof usearchModule.Index>>();
  readonly #entries: LRUCache<string, Entry>;
  #nextId = 1n;

  /** `maxEntries`: answers kept over all partitions; `clock`: wall-clock milliseconds for TTLs. */
  constructor(options: { maxEntries: number; clock?: () => number }) {
    usearch ??= require('usearch') as typeof usearchModule;
    this.#entries = new LRUCache<string, Entry>({
      max: options.maxEntries,
      ttlAutopurge: false,
      // Read the clock on every check: lru-cache otherwise caches it for a tick, which an injected clock cannot move.
      ttlResolution: 0,
      ...(options.clock === undefined ? {} : { perf: { now: options.clock } }),
      dispose: (entry, id) => this.#forget(entry.partition, BigInt(id)),
    });
  }

  /** Entries held (live or not yet purged). */
  get size(): number {
    return this.#entries.size;
  }

  /** Stores an answer under its vector in a partition for `ttlMs` milliseconds. Vectors of one partition share a dimension (one embeddings model). */
  add(partition: string, vector: Float32Array, answer: CachedAnswer, ttlMs: number): void {
    let graph = this.#graphs.get(partition);
    if (graph !== undefined && graph.dimensions() !== vector.length) return;
    if (graph === undefined) {
      graph = new usearch.Index(vector.length, usearch.MetricKind.Cos, usearch.ScalarKind.F32, 16);
      this.#graphs.set(partition, graph);
    }
    const id = this.#nextId++;
    graph.add(id, vector);
    this.#entries.set(String(id), { partition, answer }, { ttl: ttlMs });
  }

  /** The nearest live answer in the partition whose cosine similarity is at least `threshold`, or undefined. */
  nearest(partition: string, vector: Float32Array, threshold: number): SemanticMatch | undefined {
    const graph = this.#graphs.get(partition);
    if (graph === undefined || graph.dimensions() !== vector.length || graph.size() === 0) return undefined;
    const found = graph.search(vector, Math.min(CANDIDATES, graph.size()), 0);
    for (let index = 0; index < found.keys.length; index++) {
      // USearch's cosine metric is a distance: 1 - cosine similarity. Results come nearest first.
      const similarity = 1 - found.distances[index]!;
      if (similarity < threshold) return undefined;
      const entry = this.#entries.get(String(found.keys[index]!));
      if (entry !== undefined) return { answer: entry.answer, similarity };
    }
    return undefined;
  }

  #forget(partition: string, id: bigint): void {
    const graph = this.#graphs.get(partition);
    if (graph === undefined) return;
    graph.remove(id);
    if (graph.size() === 0) this.#graphs.delete(partition);
  }
}
