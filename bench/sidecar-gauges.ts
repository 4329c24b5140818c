/**
 * Readings from the sidecar's Prometheus exposition (GET /metrics on its admin port) that
 * the soak and the memory scenario need: the gauges of work in flight, which must all be
 * 0 once traffic stops, and prom-client's event-loop delay figures.
 */

/** Gauges of work in flight: each summed over its labels. */
export const IN_FLIGHT_GAUGES = [
  // Requests handed to a provider and not finished (streams included).
  'llm_gateway_active_requests',
  // USD held by budget reservations of requests in flight.
  'llm_gateway_budget_held_usd',
  // Requests in flight per key with a parallel limit, as the governance store counts them.
  'llm_gateway_key_requests_in_flight',
  // Requests whose state the sidecar keeps in memory.
  'llm_gateway_request_state_entries',
  // ext_proc streams Envoy holds open to the sidecar.
  'llm_gateway_active_ext_proc_streams',
] as const;

export type InFlightGauge = (typeof IN_FLIGHT_GAUGES)[number];

/** The value of every sample of `name` (any labels), summed; 0 when the metric has no sample. */
export function metricSum(exposition: string, name: string): number {
  let total = 0;
  for (const match of exposition.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) total += Number(match[1]);
  return total;
}

export function inFlightGauges(exposition: string): Record<InFlightGauge, number> {
  return Object.fromEntries(IN_FLIGHT_GAUGES.map((name) => [name, metricSum(exposition, name)])) as Record<InFlightGauge, number>;
}

/**
 * Reads the in-flight gauges (through `scrape`, the sidecar's /metrics) every 200 ms until all
 * are 0 or `limitMs` has passed: the last reading, and after how many ms they were all 0
 * (undefined: they never were).
 */
export async function settleInFlight(scrape: () => Promise<string>, limitMs: number): Promise<{ gauges: Record<InFlightGauge, number>; settledAfterMs: number | undefined }> {
  const startedAt = performance.now();
  for (;;) {
    const gauges = inFlightGauges(await scrape());
    const elapsed = performance.now() - startedAt;
    if (Object.values(gauges).every((value) => value === 0)) return { gauges, settledAfterMs: Math.round(elapsed) };
    if (elapsed >= limitMs) return { gauges, settledAfterMs: undefined };
    await new Promise((wake) => setTimeout(wake, 200));
  }
}

/** prom-client's default eventLoopMonitoringPrecision: monitorEventLoopDelay's timer interval, ms. */
export const EVENT_LOOP_RESOLUTION_MS = 10;

/**
 * Event-loop delay since the previous scrape, ms: prom-client samples it with perf_hooks'
 * monitorEventLoopDelay and resets the histogram at every scrape, so each reading covers
 * the window since the one before. The histogram records the time between two ticks of a
 * timer set EVENT_LOOP_RESOLUTION_MS apart; the figures here are the delay beyond that
 * interval (0 for a loop that is never late).
 */
export interface EventLoopWindow {
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function eventLoopWindow(exposition: string): EventLoopWindow {
  const ms = (name: string) => Math.max(0, Math.round(metricSum(exposition, name) * 1e6 - EVENT_LOOP_RESOLUTION_MS * 1e3) / 1e3);
  return { meanMs: ms('nodejs_eventloop_lag_mean_seconds'), p50Ms: ms('nodejs_eventloop_lag_p50_seconds'), p99Ms: ms('nodejs_eventloop_lag_p99_seconds'), maxMs: ms('nodejs_eventloop_lag_max_seconds') };
}
