import type { Logger } from '../observability/logger.js';

/**
 * One change made through the admin API, for the audit log: who, what, when, never a
 * secret (a new key's secret and the admin key are in no field).
 */
export interface AdminAuditEntry {
  action: 'key.created' | 'key.updated' | 'key.revoked';
  /**
   * Who: the credential the call was made with. The admin API has one credential,
   * governance.admin_key, so this names it rather than a person.
   */
  actor: 'governance.admin_key';
  keyId: string;
  keyAlias: string;
  /** For key.updated: the fields the call set (alias, models, limits, expires_at, metadata). */
  changed: string[];
  /** Milliseconds since the epoch. */
  at: number;
}

/** Writes each entry as one log line, event "admin_audit", at info level so production logs keep it. */
export function logAdminAudit(logger: Logger): (entry: AdminAuditEntry) => void {
  return (entry) =>
    logger.info(
      { event: 'admin_audit', action: entry.action, actor: entry.actor, key_id: entry.keyId, key_alias: entry.keyAlias, changed: entry.changed, at: new Date(entry.at).toISOString() },
      `admin: ${entry.action} ${entry.keyAlias}`,
    );
}
