import BetterSqlite3, { type Database } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CachedAnswer } from './cached-answer.js';
import type { SharedSemanticEntry } from './redis-semantic-sync.js';

/**
 * Changes written per transaction. A transaction blocks the event loop while it runs (the
 * driver is synchronous): on the shared test machine, 128 answers of 100 words took about 2 ms
 * (p50) and 1,000 in one transaction 24 ms, so a burst is written 128 at a time, one batch per
 * turn of the event loop.
 */
const WRITE_BATCH = 128;

/** One exact-cache entry as kept on disk: `expiresAt` in wall-clock milliseconds. */
export interface JournalEntry {
  key: string;
  answer: CachedAnswer;
  expiresAt: number;
}

export interface SqliteCacheJournalOptions {
  /** The database file; its directory is created if missing. ":memory:" for a throwaway one (tests). */
  path: string;
  /** Wall-clock milliseconds (Date.now): expiry survives a restart, a monotonic clock does not. */
  clock: () => number;
  /** How long writes wait to be written together, in milliseconds (one transaction per batch). */
  flushIntervalMs?: number;
  /** The semantic rows kept at most (the newest); older ones are deleted at each flush. */
  maxSemanticEntries: number;
  /** A write that failed (disk full, file gone): reported, never thrown into a request. */
  onError: (operation: 'flush', error: unknown) => void;
}

interface ExactRow {
  key: string;
  answer: string;
  expires_at: number;
}

interface SemanticRow {
  partition_key: string;
  vector: Buffer;
  answer: string;
  expires_at: number;
}

/**
 * The in-memory cache's copy on disk, so a restarted sidecar serves what it stored until
 * each entry's TTL: a SQLite file of its own (the governance file is held exclusively by
 * its store, and a cache file can be deleted at any time without losing anything that
 * matters). Writes are write-behind: `put`, `remove` and `putSemantic` only note the change
 * in memory (a few microseconds), and a timer writes them after `flushIntervalMs`, in
 * transactions of WRITE_BATCH changes with requests served in between, so the request path
 * never waits on the disk. A crash loses at most what was not written yet.
 *
 * The file holds what the memory store holds: an entry the LRU evicts (the `max_bytes`
 * bound) or that expires is removed here too, and expired rows are deleted when the file is
 * read at start and at every flush.
 */
export class SqliteCacheJournal {
  readonly #database: Database;
  readonly #options: SqliteCacheJournalOptions;
  /** Changes not yet written, per key: an entry to write, or null to delete. The last change wins. */
  readonly #pending = new Map<string, JournalEntry | null>();
  #pendingSemantic: SharedSemanticEntry[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #write: (exact: ReadonlyArray<[string, JournalEntry | null]>, semantic: readonly SharedSemanticEntry[], housekeeping: boolean) => void;
  /** Set while a drain is under way, so changes noted meanwhile do not start a second one. */
  #draining = false;

  private constructor(database: Database, options: SqliteCacheJournalOptions) {
    this.#database = database;
    this.#options = options;
    const upsert = database.prepare('INSERT INTO cache_entries (key, answer, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET answer = excluded.answer, expires_at = excluded.expires_at');
    const remove = database.prepare('DELETE FROM cache_entries WHERE key = ?');
    const insertSemantic = database.prepare('INSERT INTO semantic_entries (partition_key, vector, answer, expires_at) VALUES (?, ?, ?, ?)');
    const expireExact = database.prepare('DELETE FROM cache_entries WHERE expires_at <= ?');
    const expireSemantic = database.prepare('DELETE FROM semantic_entries WHERE expires_at <= ?');
    const trimSemantic = database.prepare('DELETE FROM semantic_entries WHERE id <= (SELECT id FROM semantic_entries ORDER BY id DESC LIMIT 1 OFFSET ?)');
    this.#write = database.transaction((exact: ReadonlyArray<[string, JournalEntry | null]>, semantic: readonly SharedSemanticEntry[], housekeeping: boolean) => {
      for (const [key, entry] of exact) {
        if (entry === null) remove.run(key);
        else upsert.run(key, JSON.stringify(entry.answer), entry.expiresAt);
      }
      for (const entry of semantic) {
        insertSemantic.run(entry.partition, Buffer.from(entry.vector.buffer, entry.vector.byteOffset, entry.vector.byteLength), JSON.stringify(entry.answer), entry.expiresAt);
      }
      if (!housekeeping) return;
      const now = options.clock();
      expireExact.run(now);
      expireSemantic.run(now);
      trimSemantic.run(options.maxSemanticEntries);
    });
  }

  /**
   * Opens (creating if needed) the file and takes it for this process alone.
   * @throws Error when the file cannot be opened or another process holds it.
   */
  static open(options: SqliteCacheJournalOptions): SqliteCacheJournal {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    const database = new BetterSqlite3(options.path, { timeout: 0 });
    try {
      database.pragma('locking_mode = EXCLUSIVE');
      database.pragma('journal_mode = WAL');
      database.pragma('synchronous = NORMAL');
      database.exec(`
        CREATE TABLE IF NOT EXISTS cache_entries (key TEXT PRIMARY KEY, answer TEXT NOT NULL, expires_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS semantic_entries (id INTEGER PRIMARY KEY AUTOINCREMENT, partition_key TEXT NOT NULL, vector BLOB NOT NULL, answer TEXT NOT NULL, expires_at INTEGER NOT NULL);
      `);
      return new SqliteCacheJournal(database, options);
    } catch (error) {
      database.close();
      throw error;
    }
  }

  /** The fresh exact entries, oldest stored first (so an LRU filled in this order keeps the newest); expired rows are deleted. */
  loadExact(): JournalEntry[] {
    const now = this.#options.clock();
    this.#database.prepare('DELETE FROM cache_entries WHERE expires_at <= ?').run(now);
    const rows = this.#database.prepare('SELECT key, answer, expires_at FROM cache_entries').all() as ExactRow[];
    const entries = rows.map((row) => ({ key: row.key, answer: JSON.parse(row.answer) as CachedAnswer, expiresAt: row.expires_at }));
    return entries.sort((left, right) => left.answer.storedAt - right.answer.storedAt);
  }

  /** The fresh semantic entries, oldest first; expired rows are deleted. */
  loadSemantic(): SharedSemanticEntry[] {
    const now = this.#options.clock();
    this.#database.prepare('DELETE FROM semantic_entries WHERE expires_at <= ?').run(now);
    const rows = this.#database.prepare('SELECT partition_key, vector, answer, expires_at FROM semantic_entries ORDER BY id').all() as SemanticRow[];
    return rows.map((row) => ({
      partition: row.partition_key,
      // A copy: the row's buffer may not be aligned for 4-byte floats.
      vector: new Float32Array(row.vector.buffer.slice(row.vector.byteOffset, row.vector.byteOffset + row.vector.byteLength)),
      answer: JSON.parse(row.answer) as CachedAnswer,
      expiresAt: row.expires_at,
    }));
  }

  /** Notes an entry to write (with the next batch). */
  put(key: string, answer: CachedAnswer, expiresAt: number): void {
    this.#pending.set(key, { key, answer, expiresAt });
    this.#schedule();
  }

  /** Notes an entry to delete (evicted or expired in memory). */
  remove(key: string): void {
    this.#pending.set(key, null);
    this.#schedule();
  }

  /** Notes a semantic entry to write (with the next batch). */
  putSemantic(entry: SharedSemanticEntry): void {
    this.#pendingSemantic.push(entry);
    this.#schedule();
  }

  /** Writes everything pending now (at shutdown, and in tests); a failure is reported and that batch dropped (the cache is only a cache). */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#writeBatch()) {}
  }

  /**
   * Writes at most WRITE_BATCH changes in one transaction, and the expiry housekeeping once
   * nothing is left. Returns whether changes remain.
   */
  #writeBatch(): boolean {
    if (this.#pending.size === 0 && this.#pendingSemantic.length === 0) return false;
    const exact: Array<[string, JournalEntry | null]> = [];
    for (const change of this.#pending) {
      if (exact.length >= WRITE_BATCH) break;
      exact.push(change);
    }
    for (const [key] of exact) this.#pending.delete(key);
    const semantic = this.#pendingSemantic.splice(0, WRITE_BATCH);
    const more = this.#pending.size > 0 || this.#pendingSemantic.length > 0;
    try {
      this.#write(exact, semantic, !more);
    } catch (error) {
      this.#options.onError('flush', error);
    }
    return more;
  }

  /** One batch per turn of the event loop, so a burst of writes never holds requests up for long. */
  #drain(): void {
    this.#timer = undefined;
    this.#draining = this.#writeBatch();
    if (this.#draining) setImmediate(() => this.#drain()).unref();
  }

  /** Writes what is pending and lets go of the file. */
  close(): void {
    this.flush();
    this.#database.close();
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#draining) return;
    this.#timer = setTimeout(() => this.#drain(), this.#options.flushIntervalMs ?? 1000);
    // Pending writes never keep the process alive: close() flushes at shutdown.
    this.#timer.unref();
  }
}
