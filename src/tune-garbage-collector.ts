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
 *
 * Tuning the young generation instead (issue 17) was measured and does not replace them
 * (2026-11-30, 2-vCPU VM with 80-90 % of its CPU used by other work, so only the collection
 * counts and RSS are worth reading; 12 s at 250 req/s per API, OpenAI + Anthropic, 2-3 runs
 * each; full collections per run, RSS after the load):
 * - these flags: 1, 1 full collections; 180-188 MiB;
 * - no flags: 8, 6, 2; 160-184 MiB;
 * - `--semi-space-growth-factor=16` (the new space at its maximum at once; read at run time): 2, 5; 163-180 MiB;
 * - `--no-allocation-site-pretenuring` (read at run time): 1, 3, 3; 161-188 MiB;
 * - `--max-semi-space-size=32` (only honoured on the command line, so every launch would need
 *   it): half the minor collections (30 -> 15), still 5 full ones, and 200 MiB.
 * Under load the new space is already at V8's default maximum (2 x 16 MiB semi-spaces): the
 * same ~2.5 scavenges a second at 250 req/s with every run-time setting, so there is nothing
 * left to grow without paying RSS for it. What fills the old generation between full
 * collections is promotion of what is still in flight at two scavenges; less allocation per
 * request is what would cut both.
 */
export const GARBAGE_COLLECTOR_FLAGS = ['--heap-growing-percent=300', '--no-memory-reducer-for-small-heaps'];

export function tuneGarbageCollector(): void {
  for (const flag of GARBAGE_COLLECTOR_FLAGS) setFlagsFromString(flag);
}
