import type { Environment } from '../config/runtime.js';
import type { Configuration } from '../config/schema.js';
import { durationMilliseconds } from '../config/duration.js';
import type { GovernanceStore } from './governance-store.js';
import { createMemoryGovernanceStore } from './memory-governance-store.js';
import { createRedisGovernanceStore } from './redis-governance-store.js';

/** The store the configuration asks for: this process's memory, or Redis shared by every replica. */
export function createGovernanceStore(configuration: Configuration, environment: Environment): GovernanceStore {
  const { governance } = configuration;
  if (governance.store === 'memory') return createMemoryGovernanceStore();
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
