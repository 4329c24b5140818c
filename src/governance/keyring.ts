import type { KeyConfiguration } from '../config/schema.js';
import type { GovernanceStore, StoredKey } from '../stores/governance-store.js';
import { hashesEqual, hashKeySecret, keyIdOf } from './key-secret.js';
import type { VirtualKey } from './virtual-key.js';

/**
 * Finds the virtual key a secret belongs to: declared keys by hash, keys created through
 * the admin API by the id inside the secret (then the hash is checked in constant time).
 * Run-time keys are cached briefly, so a revocation reaches every replica within
 * cacheTtlMs while the hot path rarely waits on the store.
 */
export interface Keyring {
  /** Whether a request without a valid key is refused. */
  readonly required: boolean;
  find(secret: string, now: number): Promise<VirtualKey | undefined>;
  /** Whether the secret could belong to a key at all (a declared hash, or the shape of an issued key); cheap and synchronous. */
  mightKnow(secret: string): boolean;
  /** Forget a cached key (after the admin API changed it on this replica). */
  forget(id: string): void;
}

export interface KeyringOptions {
  declared: readonly KeyConfiguration[];
  store: GovernanceStore;
  requireKeys: boolean;
  cacheTtlMs: number;
}

const MAX_CACHED = 10_000;

export function createKeyring(options: KeyringOptions): Keyring {
  const declared = new Map<string, VirtualKey>();
  for (const key of options.declared) declared.set(key.hash, declaredKey(key));
  const cache = new Map<string, { key: VirtualKey | undefined; until: number }>();

  return {
    required: options.requireKeys || declared.size > 0,
    async find(secret, now) {
      const hash = hashKeySecret(secret);
      const fromConfig = declared.get(hash);
      if (fromConfig !== undefined) return hashesEqual(fromConfig.hash, hash) ? fromConfig : undefined;
      const id = keyIdOf(secret);
      if (id === undefined) return undefined;
      let cached = cache.get(id);
      if (cached === undefined || cached.until <= now) {
        const stored = await options.store.getKey(id);
        if (cache.size >= MAX_CACHED) cache.clear();
        cached = { key: stored ? fromStored(stored) : undefined, until: now + options.cacheTtlMs };
        cache.set(id, cached);
      }
      return cached.key !== undefined && hashesEqual(cached.key.hash, hash) ? cached.key : undefined;
    },
    mightKnow(secret) {
      return keyIdOf(secret) !== undefined || declared.has(hashKeySecret(secret));
    },
    forget(id) {
      cache.delete(id);
    },
  };
}

export function declaredKey(key: KeyConfiguration): VirtualKey {
  return Object.freeze({
    id: `config:${key.alias}`,
    alias: key.alias,
    hash: key.hash,
    models: Object.freeze([...(key.models ?? [])]),
    limits: Object.freeze({
      requestsPerMinute: key.requests_per_minute,
      tokensPerMinute: key.tokens_per_minute,
      maxParallel: key.max_parallel,
      budget: key.budget ? { usd: key.budget.usd, period: key.budget.period } : undefined,
    }),
    expiresAt: key.expires_at === undefined ? undefined : Date.parse(key.expires_at),
    revokedAt: undefined,
    metadata: Object.freeze({ ...(key.metadata ?? {}) }),
    source: 'config',
  });
}

export function fromStored(key: StoredKey): VirtualKey {
  return Object.freeze({
    id: key.id,
    alias: key.alias,
    hash: key.hash,
    models: Object.freeze([...key.models]),
    limits: Object.freeze({ ...key.limits }),
    expiresAt: key.expiresAt,
    revokedAt: key.revokedAt,
    metadata: Object.freeze({ ...key.metadata }),
    source: 'admin',
  });
}
