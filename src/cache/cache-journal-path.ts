import { dirname, join } from 'node:path';
import type { Configuration } from '../config/schema.js';

/**
 * Where the memory store keeps its copy on disk, or undefined when it keeps none: with
 * `cache.persist` (by default when the governance store is a SQLite file, the deployment
 * whose state already survives restarts), in `cache.sqlite.path` or else response-cache.db
 * beside the governance file. Never with the redis store (Redis is the shared copy), and
 * never when the governance file is an in-memory database (nothing is meant to last).
 */
export function cacheJournalPath(configuration: Configuration): string | undefined {
  const { cache, governance } = configuration;
  if (cache.store !== 'memory') return undefined;
  const persist = cache.persist ?? (governance.store === 'sqlite' && governance.sqlite.path !== ':memory:');
  if (!persist) return undefined;
  if (cache.sqlite.path !== undefined) return cache.sqlite.path;
  return governance.sqlite.path === ':memory:' ? ':memory:' : join(dirname(governance.sqlite.path), 'response-cache.db');
}
