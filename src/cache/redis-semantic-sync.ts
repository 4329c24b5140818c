import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedisClient } from '../stores/create-redis-client.js';
import type { CachedAnswer } from './cached-answer.js';

/** One semantic entry as the replicas share it. */
export interface SharedSemanticEntry {
  partition: string;
  vector: Float32Array;
  answer: CachedAnswer;
  /** Wall-clock milliseconds after which it is not served. */
  expiresAt: number;
}

export interface RedisSemanticSyncOptions {
  url: string;
  /** The stream is `<keyPrefix>semantic`. */
  keyPrefix: string;
  /** Milliseconds a write may take before it is given up (the entry then stays on this replica only). */
  commandTimeoutMs: number;
  /** The stream is trimmed to about this many entries (XADD MAXLEN ~). */
  maxEntries: number;
  /** Wall-clock milliseconds. */
  clock: () => number;
  /** Hears every entry another replica stored (and, on start, those still in the stream). */
  onEntry: (entry: SharedSemanticEntry) => void;
  onError: (operation: 'publish' | 'follow', error: unknown) => void;
}

/** How long one XREAD waits for new entries before it asks again (also bounds how long close() waits). */
const BLOCK_MS = 2_000;

/**
 * Keeps every replica's in-process semantic index in step through one Redis stream: a replica
 * appends each entry it stores (partition key, vector as little-endian float32 in base64, the
 * answer's JSON, its expiry), and every replica follows the stream, from its start when it
 * boots (so a new replica learns what is still fresh), then as entries arrive. Redis holds
 * the shared state; the search stays in-process. A Redis that is down leaves each replica
 * with what it has and learns itself; the follower reconnects and resumes where it was.
 * Eventually consistent: another replica serves an entry once it read it (milliseconds).
 */
export class RedisSemanticSync {
  readonly #options: RedisSemanticSyncOptions;
  readonly #writer: Redis;
  readonly #reader: Redis;
  readonly #stream: string;
  /** Entries this replica appended are skipped when they come back. */
  readonly #replica = randomUUID();
  #closed = false;
  #following: Promise<void> | undefined;

  constructor(options: RedisSemanticSyncOptions) {
    this.#options = options;
    this.#stream = `${options.keyPrefix}semantic`;
    const common = { maxRetriesPerRequest: 1, retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000) };
    this.#writer = createRedisClient(options.url, { ...common, enableOfflineQueue: false, connectTimeout: options.commandTimeoutMs * 5, commandTimeout: options.commandTimeoutMs });
    // The follower's XREAD blocks: its own connection, with no command timeout shorter than the block.
    this.#reader = createRedisClient(options.url, { ...common, enableOfflineQueue: true });
    this.#writer.on('error', () => {});
    this.#reader.on('error', () => {});
  }

  /** Starts following the stream from its beginning. */
  start(): void {
    this.#following ??= this.#follow();
  }

  /** Appends an entry this replica stored; a failure is reported, never thrown. */
  publish(entry: SharedSemanticEntry): void {
    const vector = Buffer.from(entry.vector.buffer, entry.vector.byteOffset, entry.vector.byteLength).toString('base64');
    this.#writer
      .xadd(this.#stream, 'MAXLEN', '~', String(this.#options.maxEntries), '*', 'r', this.#replica, 'p', entry.partition, 'v', vector, 'a', JSON.stringify(entry.answer), 'e', String(entry.expiresAt))
      .catch((error: unknown) => this.#options.onError('publish', error));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#reader.disconnect();
    this.#writer.disconnect();
    await this.#following?.catch(() => {});
  }

  async #follow(): Promise<void> {
    let last = '0';
    while (!this.#closed) {
      try {
        const read = await this.#reader.xread('COUNT', 500, 'BLOCK', BLOCK_MS, 'STREAMS', this.#stream, last);
        for (const [, entries] of read ?? []) {
          for (const [id, fields] of entries) {
            last = id;
            this.#receive(fields);
          }
        }
      } catch (error) {
        if (this.#closed) return;
        this.#options.onError('follow', error);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  #receive(fields: string[]): void {
    const value: Record<string, string> = {};
    for (let index = 0; index + 1 < fields.length; index += 2) value[fields[index]!] = fields[index + 1]!;
    if (value.r === this.#replica || value.p === undefined || value.v === undefined || value.a === undefined) return;
    const expiresAt = Number(value.e);
    if (!(expiresAt > this.#options.clock())) return;
    const bytes = Buffer.from(value.v, 'base64');
    const vector = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    this.#options.onEntry({ partition: value.p, vector, answer: JSON.parse(value.a) as CachedAnswer, expiresAt });
  }
}
