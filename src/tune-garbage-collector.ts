import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a small heap under steady request load. The sidecar's live heap is ~20 MB,
 * and for heaps that small V8 grows the old generation only ~25 % past what survived the
 * last full collection (and its memory reducer shrinks it back). Under load every request
 * promotes a little, so a full collection ran every second or two, each a 5-15 ms pause for
 * every request in flight: that was the p99 (`make bench`: 9-10 full collections per
 * 500 req/s run, p99 +15 ms; with these settings 1-2, p99 +5-7 ms, for ~55 MB more RSS).
 *
 * Both flags are read by V8 each time it sizes the heap after a collection, so setting them
 * at start-up takes effect without command-line flags (NODE_OPTIONS refuses them).
 */
export const GARBAGE_COLLECTOR_FLAGS = ['--heap-growing-percent=300', '--no-memory-reducer-for-small-heaps'];

export function tuneGarbageCollector(): void {
  for (const flag of GARBAGE_COLLECTOR_FLAGS) setFlagsFromString(flag);
}
