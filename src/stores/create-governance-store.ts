import type { Environment } from '../config/runtime.js';
import type { Configuration } from '../config/schema.js';
import { durationMilliseconds } from '../config/duration.js';
import { StartupError } from '../startup/startup-error.js';
import type { GovernanceStore } from './governance-store.js';
import { createMemoryGovernanceStore } from './memory-governance-store.js';
import { createRedisGovernanceStore } from './redis-governance-store.js';
import { createSqliteGovernanceStore } from './sqlite-governance-store.js';

/**
 * The store the configuration asks for: a local SQLite file (the default), Redis shared by
 * every replica, or this process's memory.
 *
 * @param now Milliseconds since the epoch, for the SQLite store to release what a crashed
 *   process left held.
 * @throws StartupError when the SQLite file cannot be opened or another process holds it.
 */
export function createGovernanceStore(configuration: Configuration, environment: Environment, now: number): GovernanceStore {
  const { governance } = configuration;
  if (governance.store === 'memory') return createMemoryGovernanceStore();
  if (governance.store === 'sqlite') return openSqlite(governance.sqlite.path, now);
  return createRedisGovernanceStore({
    url: redisUrlOf(configuration, environment),
    keyPrefix: governance.redis.key_prefix,
    commandTimeoutMs: durationMilliseconds(governance.redis.command_timeout),
    connectTimeoutMs: durationMilliseconds(governance.redis.connect_timeout),
  });
}

/** The Redis the governance store uses: governance.redis.url, else REDIS_URL, else a local Redis. */
export function redisUrlOf(configuration: Configuration, environment: Environment): string {
  return configuration.governance.redis.url ?? environment.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

function openSqlite(path: string, now: number): GovernanceStore {
  try {
    return createSqliteGovernanceStore({ path, now });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY') {
      throw new StartupError(
        `governance.sqlite.path: ${path} is in use by another gateway process. One process per file: stop the other one, ` +
          'give this one its own path, or share governance.store: redis between replicas.',
      );
    }
    throw new StartupError(`governance.sqlite.path: cannot open ${path}: ${(error as Error).message}`, { cause: error });
  }
}
