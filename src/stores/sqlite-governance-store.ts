import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { budgetPeriod } from './budget-period.js';
import type { AdmissionRequest, AdmissionResult, GovernanceStore, KeyLimits, LimitState, Settlement, SpendRecord, StoredKey } from './governance-store.js';
import { firstRefusal, limitState, retryAfterSeconds, type LimitCounters } from './limit-counters.js';
import { toMicroUsd } from './micro-usd.js';
import { retention } from './retention.js';
import { spendRecord } from './spend-record.js';
import { afterRequest, afterTokens } from './rate-bucket.js';
import { daysInRange, utcDay } from './spend-days.js';
import { migrateSchema } from './sqlite-governance-schema.js';
import { compareStoredKeys, storedKeyFromJson, storedKeyToJson } from './stored-key-json.js';

const spendRetentionMs = retention.spendDays * 24 * 60 * 60_000;

export interface SqliteGovernanceStoreOptions {
  /** The database file; its directory is created if missing. ":memory:" for a throwaway one (tests). */
  path: string;
  /** Milliseconds since the epoch at opening, to release what a previous process held (see releaseAbandonedReservations). */
  now: number;
}

interface ReservationRow {
  reservation_id: string;
  expires_at: number;
  period_id: string;
  micro_usd: number;
}

interface BudgetRow {
  spent: number;
  reserved: number;
  expires_at: number | null;
}

interface SpendRow {
  day: string;
  model: string;
  micro_usd: number;
  tokens: number;
  requests: number;
  unpriced_requests: number;
}

/**
 * Governance state in a local SQLite file: one gateway process, nothing to set up, and
 * nothing lost on a restart (keys created through the admin API, their revocations, spend,
 * budgets and rate-limit buckets). It keeps and expires exactly what the memory store does, with
 * the same decision functions, so the two answer alike (the contract tests run against both).
 *
 * better-sqlite3 is synchronous: each method runs its reads and writes in one transaction
 * with no await in between, which makes it atomic on Node's single thread and on disk. The
 * file is opened in exclusive locking mode, so a second gateway process on the same file
 * fails at start instead of sharing counters it would corrupt (each process believes the
 * reservations in the file are its own). The journal is WAL with synchronous=NORMAL: every
 * committed change survives the process being killed; a power cut can lose the last
 * transactions (SQLite's documented trade-off for that mode).
 */
export class SqliteGovernanceStore implements GovernanceStore {
  readonly #database: Database;
  readonly #statements: ReturnType<typeof prepareStatements>;
  readonly #admit: (request: AdmissionRequest) => AdmissionResult;
  readonly #settle: (settlement: Settlement) => void;
  readonly #state: (keyId: string, limits: KeyLimits, now: number) => LimitState;

  constructor(database: Database) {
    this.#database = database;
    this.#statements = prepareStatements(database);
    this.#admit = database.transaction((request: AdmissionRequest) => this.#admitNow(request));
    this.#settle = database.transaction((settlement: Settlement) => this.#settleNow(settlement));
    this.#state = database.transaction((keyId: string, limits: KeyLimits, now: number) => {
      this.#purgeExpiredReservations(keyId, now);
      return limitState(this.#read(keyId, limits, now), limits, now);
    });
  }

  async admit(request: AdmissionRequest): Promise<AdmissionResult> {
    return this.#admit(request);
  }

  async settle(settlement: Settlement): Promise<void> {
    this.#settle(settlement);
  }

  async state(keyId: string, limits: KeyLimits, now: number): Promise<LimitState> {
    return this.#state(keyId, limits, now);
  }

  async spend(keyId: string, fromDay: string, toDay: string): Promise<SpendRecord[]> {
    const days = daysInRange(fromDay, toDay);
    if (days.length === 0) return [];
    const rows = this.#statements.spendInRange.all(keyId, days[0], days[days.length - 1]) as SpendRow[];
    return rows.map((row) => spendRecord(row.day, row.model, row.micro_usd, row.tokens, row.requests, row.unpriced_requests));
  }

  async saveKey(key: StoredKey): Promise<void> {
    this.#statements.saveKey.run(key.id, key.createdAt, storedKeyToJson(key));
  }

  async getKey(id: string): Promise<StoredKey | undefined> {
    const row = this.#statements.getKey.get(id) as { json: string } | undefined;
    return row === undefined ? undefined : storedKeyFromJson(row.json);
  }

  async listKeys(): Promise<StoredKey[]> {
    const rows = this.#statements.listKeys.all() as Array<{ json: string }>;
    return rows.map((row) => storedKeyFromJson(row.json)).sort(compareStoredKeys);
  }

  async close(): Promise<void> {
    if (this.#database.open) this.#database.close();
  }

  /**
   * Drops every reservation left in the file and frees what it held. They belong to requests
   * of a process that is gone (the file is one process's, by its exclusive lock), which can
   * never settle them; without this they would hold budget and parallel slots for the
   * reservation's whole lifetime (an hour) after a crash. Returns how many were released.
   */
  releaseAbandonedReservations(now: number): number {
    return this.#database.transaction(() => {
      const rows = this.#statements.allReservations.all() as Array<ReservationRow & { key_id: string }>;
      for (const row of rows) this.#release(row.key_id, row, now);
      return rows.length;
      // IMMEDIATE: a write lock from the start, even when nothing is left to release.
    }).immediate();
  }

  #admitNow(request: AdmissionRequest): AdmissionResult {
    const { keyId, now, limits } = request;
    this.#purgeExpiredReservations(keyId, now);
    const reservationMicroUsd = toMicroUsd(request.reservationUsd);
    const before = this.#read(keyId, limits, now);
    const reason = firstRefusal(before, limits, now, reservationMicroUsd);
    if (reason !== undefined) {
      return { admitted: false, reason, retryAfterSeconds: retryAfterSeconds(reason, before, limits, now), state: limitState(before, limits, now) };
    }
    if (limits.requestsPerMinute !== undefined) this.#setTat(keyId, 'requests', afterRequest(this.#tat(keyId, 'requests'), limits.requestsPerMinute, now));
    if (limits.maxParallel !== undefined || limits.budget !== undefined) {
      const period = limits.budget ? budgetPeriod(limits.budget.period, now) : undefined;
      this.#statements.insertReservation.run(keyId, request.reservationId, now + request.reservationTtlMs, period?.id ?? '', period ? reservationMicroUsd : 0);
      if (period) this.#addToBudget(keyId, period.id, period.resetsAt, now, 0, reservationMicroUsd);
    }
    return { admitted: true, state: limitState(this.#read(keyId, limits, now), limits, now) };
  }

  #settleNow(settlement: Settlement): void {
    const { keyId, now, limits, reservationId } = settlement;
    this.#statements.forgetLapsedSettlements.run(now);
    if (this.#statements.insertSettled.run(keyId, reservationId, now + retention.settledMarkerMs).changes === 0) return;
    const reservation = this.#statements.getReservation.get(keyId, reservationId) as ReservationRow | undefined;
    if (reservation) this.#release(keyId, reservation, now);
    if (settlement.model === undefined) return;
    const costMicroUsd = settlement.costUsd === undefined ? 0 : toMicroUsd(settlement.costUsd);
    const tokens = Math.round(settlement.tokens);
    if (limits.budget) {
      const period = budgetPeriod(limits.budget.period, now);
      this.#addToBudget(keyId, period.id, period.resetsAt, now, costMicroUsd, 0);
    }
    if (limits.tokensPerMinute !== undefined && tokens > 0) this.#setTat(keyId, 'tokens', afterTokens(this.#tat(keyId, 'tokens'), limits.tokensPerMinute, now, tokens));
    this.#statements.forgetLapsedSpend.run(keyId, now);
    this.#statements.addSpend.run(keyId, utcDay(now), settlement.model, costMicroUsd, tokens, settlement.costUsd === undefined ? 1 : 0, now + spendRetentionMs);
  }

  #read(keyId: string, limits: KeyLimits, now: number): LimitCounters {
    const budget = limits.budget ? this.#budget(keyId, budgetPeriod(limits.budget.period, now).id, now) : undefined;
    return {
      requests: this.#tat(keyId, 'requests'),
      tokens: this.#tat(keyId, 'tokens'),
      active: (this.#statements.countReservations.get(keyId) as { count: number }).count,
      spentMicroUsd: budget?.spent ?? 0,
      reservedMicroUsd: budget?.reserved ?? 0,
    };
  }

  #purgeExpiredReservations(keyId: string, now: number): void {
    const expired = this.#statements.expiredReservations.all(keyId, now) as ReservationRow[];
    for (const reservation of expired) this.#release(keyId, reservation, now);
  }

  /** Like the other stores, a budget period already forgotten is not brought back by a release. */
  #release(keyId: string, reservation: ReservationRow, now: number): void {
    this.#statements.deleteReservation.run(keyId, reservation.reservation_id);
    if (reservation.period_id === '' || reservation.micro_usd === 0) return;
    if (this.#budget(keyId, reservation.period_id, now)) this.#statements.releaseFromBudget.run(reservation.micro_usd, keyId, reservation.period_id);
  }

  /** The period's counters, or undefined when it has none or they have expired (and are then deleted). */
  #budget(keyId: string, periodId: string, now: number): BudgetRow | undefined {
    const row = this.#statements.getBudget.get(keyId, periodId) as BudgetRow | undefined;
    if (row?.expires_at != null && row.expires_at <= now) {
      this.#statements.deleteBudget.run(keyId, periodId);
      return undefined;
    }
    return row;
  }

  #addToBudget(keyId: string, periodId: string, resetsAt: number | undefined, now: number, spentMicroUsd: number, reservedMicroUsd: number): void {
    const existing = this.#budget(keyId, periodId, now);
    if (!existing) this.#statements.forgetLapsedBudgets.run(keyId, now);
    const expiresAt = resetsAt === undefined ? null : resetsAt + retention.budgetPeriodAfterEndMs;
    this.#statements.upsertBudget.run({
      keyId,
      periodId,
      spent: (existing?.spent ?? 0) + spentMicroUsd,
      reserved: (existing?.reserved ?? 0) + reservedMicroUsd,
      expiresAt,
    });
  }

  /** A bucket's theoretical arrival time; one in the past is a full bucket, the same as none. */
  #tat(keyId: string, kind: 'requests' | 'tokens'): number | undefined {
    return (this.#statements.getTat.get(keyId, kind) as { tat: number } | undefined)?.tat;
  }

  #setTat(keyId: string, kind: 'requests' | 'tokens', tat: number): void {
    this.#statements.setTat.run(keyId, kind, tat);
  }
}

function prepareStatements(database: Database) {
  const prepare = (sql: string): Statement => database.prepare(sql);
  return {
    saveKey: prepare('INSERT INTO stored_keys (id, created_at, json) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, json = excluded.json'),
    getKey: prepare('SELECT json FROM stored_keys WHERE id = ?'),
    listKeys: prepare('SELECT json FROM stored_keys'),
    getTat: prepare('SELECT tat FROM rate_buckets WHERE key_id = ? AND kind = ?'),
    setTat: prepare('INSERT INTO rate_buckets (key_id, kind, tat) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET tat = excluded.tat'),
    countReservations: prepare('SELECT count(*) AS count FROM reservations WHERE key_id = ?'),
    allReservations: prepare('SELECT key_id, reservation_id, expires_at, period_id, micro_usd FROM reservations'),
    expiredReservations: prepare('SELECT reservation_id, expires_at, period_id, micro_usd FROM reservations WHERE key_id = ? AND expires_at <= ?'),
    getReservation: prepare('SELECT reservation_id, expires_at, period_id, micro_usd FROM reservations WHERE key_id = ? AND reservation_id = ?'),
    insertReservation: prepare('INSERT OR REPLACE INTO reservations (key_id, reservation_id, expires_at, period_id, micro_usd) VALUES (?, ?, ?, ?, ?)'),
    deleteReservation: prepare('DELETE FROM reservations WHERE key_id = ? AND reservation_id = ?'),
    getBudget: prepare('SELECT spent, reserved, expires_at FROM budgets WHERE key_id = ? AND period_id = ?'),
    deleteBudget: prepare('DELETE FROM budgets WHERE key_id = ? AND period_id = ?'),
    forgetLapsedBudgets: prepare('DELETE FROM budgets WHERE key_id = ? AND expires_at IS NOT NULL AND expires_at <= ?'),
    upsertBudget: prepare(
      'INSERT INTO budgets (key_id, period_id, spent, reserved, expires_at) VALUES (:keyId, :periodId, :spent, :reserved, :expiresAt) ' +
        'ON CONFLICT DO UPDATE SET spent = excluded.spent, reserved = excluded.reserved, expires_at = excluded.expires_at',
    ),
    releaseFromBudget: prepare('UPDATE budgets SET reserved = reserved - ? WHERE key_id = ? AND period_id = ?'),
    insertSettled: prepare('INSERT OR IGNORE INTO settled (key_id, reservation_id, expires_at) VALUES (?, ?, ?)'),
    forgetLapsedSettlements: prepare('DELETE FROM settled WHERE expires_at <= ?'),
    forgetLapsedSpend: prepare('DELETE FROM spend WHERE key_id = ? AND expires_at <= ?'),
    addSpend: prepare(
      'INSERT INTO spend (key_id, day, model, micro_usd, tokens, requests, unpriced_requests, expires_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?) ' +
        'ON CONFLICT DO UPDATE SET micro_usd = micro_usd + excluded.micro_usd, tokens = tokens + excluded.tokens, requests = requests + 1, ' +
        'unpriced_requests = unpriced_requests + excluded.unpriced_requests, expires_at = excluded.expires_at',
    ),
    spendInRange: prepare('SELECT day, model, micro_usd, tokens, requests, unpriced_requests FROM spend WHERE key_id = ? AND day BETWEEN ? AND ? ORDER BY day, model'),
  };
}

/**
 * Opens (creating if needed) the store's file, takes it for this process alone, and releases
 * the reservations a previous process left in it.
 *
 * @throws Error saying which file could not be opened or is in use by another process.
 */
export function createSqliteGovernanceStore(options: SqliteGovernanceStoreOptions): SqliteGovernanceStore {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  // No busy wait: a file held by another gateway is an error to report, not something to queue behind.
  const database = new BetterSqlite3(options.path, { timeout: 0 });
  try {
    database.pragma('locking_mode = EXCLUSIVE');
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    migrateSchema(database);
    const store = new SqliteGovernanceStore(database);
    // A write: it takes the exclusive lock, held from now until close.
    store.releaseAbandonedReservations(options.now);
    return store;
  } catch (error) {
    database.close();
    throw error;
  }
}
