import type { BudgetPeriod, KeyLimits } from '../stores/governance-store.js';

/**
 * A gateway key as the request path sees it, whether declared in the configuration or
 * created through the admin API. The secret is never held: only its hash.
 */
export interface VirtualKey {
  /** Stable id: the admin API's id, or "config:<alias>" for a declared key. */
  id: string;
  alias: string;
  /** "sha256:<hex>" */
  hash: string;
  /** Patterns of model aliases this key may use; empty means every model. */
  models: readonly string[];
  limits: KeyLimits;
  expiresAt: number | undefined;
  revokedAt: number | undefined;
  metadata: Readonly<Record<string, string>>;
  source: 'config' | 'admin';
}

export type { BudgetPeriod, KeyLimits };
