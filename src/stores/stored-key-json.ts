import type { StoredKey } from './governance-store.js';

/**
 * StoredKey to and from JSON. Both stores keep keys as JSON (the memory store too, so a
 * caller mutating a key object after saveKey changes nothing, and both return the same
 * shape: JSON drops undefined fields, which are restored here).
 */
export function storedKeyToJson(key: StoredKey): string {
  return JSON.stringify(key);
}

export function storedKeyFromJson(json: string): StoredKey {
  const parsed = JSON.parse(json) as StoredKey;
  return {
    id: parsed.id,
    hash: parsed.hash,
    alias: parsed.alias,
    models: parsed.models,
    limits: parsed.limits,
    expiresAt: parsed.expiresAt ?? undefined,
    revokedAt: parsed.revokedAt ?? undefined,
    createdAt: parsed.createdAt,
    metadata: parsed.metadata,
  };
}

/** listKeys order: oldest first, ties by id so the order is stable across stores. */
export function compareStoredKeys(left: StoredKey, right: StoredKey): number {
  return left.createdAt - right.createdAt || (left.id < right.id ? -1 : left.id > right.id ? 1 : 0);
}
