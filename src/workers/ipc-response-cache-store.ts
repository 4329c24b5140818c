import type { CachedAnswer } from '../cache/cached-answer.js';
import type { ResponseCacheStore } from '../cache/response-cache-store.js';
import type { PrimaryChannel } from './worker-channel.js';

/**
 * A sidecar worker's response cache store (cache.store: memory): the primary process holds the
 * one memory store (and its copy on disk), so an answer stored by one worker is a hit in every
 * other. One IPC round trip per lookup and per store; its size is the primary's to report.
 */
export function createIpcResponseCacheStore(channel: PrimaryChannel): ResponseCacheStore {
  return {
    get: (key) => channel.call('cache.get', [key]) as Promise<CachedAnswer | undefined>,
    set: (key, answer, ttlMs) => channel.call('cache.set', [key, answer, ttlMs]) as Promise<void>,
    size: undefined,
  };
}
