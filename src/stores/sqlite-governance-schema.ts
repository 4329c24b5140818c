import type { Database } from 'better-sqlite3';

/**
 * The tables of the SQLite governance store, one per kind of thing the memory store keeps
 * per key (see memory-governance-store.ts), so the two can keep and expire the same things.
 * Amounts are integer micro-dollars, times milliseconds since the epoch.
 */
export const schemaVersion = 1;

const schema = `
CREATE TABLE stored_keys (
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  json TEXT NOT NULL
);
CREATE TABLE rate_buckets (
  key_id TEXT NOT NULL,
  kind TEXT NOT NULL,            -- 'requests' or 'tokens'
  tat REAL NOT NULL,             -- the bucket's theoretical arrival time (rate-bucket.ts)
  PRIMARY KEY (key_id, kind)
) WITHOUT ROWID;
CREATE TABLE reservations (
  key_id TEXT NOT NULL,
  reservation_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  period_id TEXT NOT NULL,       -- '' without a budget
  micro_usd INTEGER NOT NULL,
  PRIMARY KEY (key_id, reservation_id)
) WITHOUT ROWID;
CREATE TABLE budgets (
  key_id TEXT NOT NULL,
  period_id TEXT NOT NULL,
  spent INTEGER NOT NULL,
  reserved INTEGER NOT NULL,
  expires_at INTEGER,            -- NULL: kept forever ("total")
  PRIMARY KEY (key_id, period_id)
) WITHOUT ROWID;
CREATE TABLE settled (
  key_id TEXT NOT NULL,
  reservation_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (key_id, reservation_id)
) WITHOUT ROWID;
CREATE INDEX settled_by_expiry ON settled (expires_at);
CREATE TABLE spend (
  key_id TEXT NOT NULL,
  day TEXT NOT NULL,             -- "2026-11-23" (UTC)
  model TEXT NOT NULL,
  micro_usd INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  unpriced_requests INTEGER NOT NULL,  -- of requests, those whose cost is unknown (no price)
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (key_id, day, model)
) WITHOUT ROWID;
`;

/**
 * Creates the tables in a new file, and refuses a file written by a newer gateway (its
 * tables may mean something this version does not know) rather than misread it.
 *
 * @throws Error naming the file's version and this one's.
 */
export function migrateSchema(database: Database): void {
  const version = database.pragma('user_version', { simple: true }) as number;
  if (version === schemaVersion) return;
  if (version > schemaVersion) {
    throw new Error(`the file has schema version ${version}, written by a newer gateway; this one reads version ${schemaVersion}`);
  }
  database.transaction(() => {
    database.exec(schema);
    database.pragma(`user_version = ${schemaVersion}`);
  })();
}
