import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';

const require = createRequire(import.meta.url);
let RedisClient: typeof Redis | undefined;

/**
 * A new ioredis client for `url` with `options`. ioredis is loaded at the first client, not
 * at start-up: it costs ~4.5 MiB of RSS that a sidecar without Redis (governance on SQLite
 * or in memory, no shared cache or pauses) would carry for nothing (issue 17's memory target).
 */
export function createRedisClient(url: string, options: RedisOptions): Redis {
  RedisClient ??= (require('ioredis') as typeof import('ioredis')).Redis;
  return new RedisClient(url, options);
}
