import { localAddress } from '../config/local-address.js';
import type { Configuration } from '../config/schema.js';

/**
 * Envoy's stats that say a drain is over: the client listener was stopped (Envoy stops it
 * when its --drain-time-s has passed) and no client request is still in flight on it.
 * "gateway" is the client listener's stat_prefix in render-connection-manager.ts; the end-to-end test
 * of this function runs against the real Envoy, so a renamed prefix fails it.
 */
const LISTENER_STOPPED_STAT = 'listener_manager.listener_stopped';
const ACTIVE_REQUESTS_STAT = 'http.gateway.downstream_rq_active';

export interface DrainEnvoyOptions {
  /** Give up waiting after this long (ms): a preStop hook must end before the pod's grace period does. */
  deadlineMs: number;
  /** How often to read Envoy's stats while waiting (ms). */
  pollIntervalMs?: number;
  /** Progress lines (a preStop hook's output is shown by kubelet when it fails). */
  report?: (line: string) => void;
  now?: () => number;
  sleep?: (milliseconds: number) => Promise<void>;
}

export type DrainOutcome =
  /** The client listener is stopped and no request is in flight: Envoy and the sidecar may stop. */
  | { outcome: 'drained' }
  /** The deadline came first; `activeRequests` were still in flight (they end when Envoy stops). */
  | { outcome: 'deadline'; activeRequests: number | undefined }
  /** Envoy's admin interface did not answer: nothing left to drain. */
  | { outcome: 'unreachable'; reason: string };

/**
 * The graceful end of a gateway pod, run from the sidecar container's preStop hook (the
 * Envoy image has no HTTP client; containers of a pod share loopback, where Envoy's admin
 * interface listens). In order:
 *
 * 1. POST /healthcheck/fail: Envoy's /ready turns 503, so its readiness probe takes the
 *    pod out of Service endpoints if the deletion has not already.
 * 2. POST /drain_listeners?graceful&inboundonly: Envoy answers every request on the client
 *    listener with "connection: close" (HTTP/2: GOAWAY), keeps accepting connections for
 *    --drain-time-s (clients that have not yet seen the endpoint removal), then stops that
 *    listener. The metrics listener (not inbound) keeps serving probes and scrapes.
 * 3. Waits until the listener is stopped and no client request is in flight, or the
 *    deadline. The sidecar keeps serving meanwhile: it gets SIGTERM only once this returns.
 *
 * Envoy admin: https://www.envoyproxy.io/docs/envoy/latest/operations/admin
 * Draining: https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/operations/draining
 */
export async function drainEnvoy(configuration: Configuration, options: DrainEnvoyOptions): Promise<DrainOutcome> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));
  const report = options.report ?? (() => undefined);
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const deadline = now() + options.deadlineMs;
  const admin = `http://${localAddress(configuration.envoy.admin_address)}:${configuration.envoy.admin_port}`;

  for (const path of ['/healthcheck/fail', '/drain_listeners?graceful&inboundonly']) {
    try {
      const response = await fetch(`${admin}${path}`, { method: 'POST', signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      if (!response.ok) return { outcome: 'unreachable', reason: `POST ${path}: HTTP ${response.status}` };
    } catch (error) {
      return { outcome: 'unreachable', reason: `POST ${admin}${path}: ${describeFailure(error)}` };
    }
  }
  report(`envoy at ${admin} is draining its client listener`);

  let activeRequests: number | undefined;
  for (;;) {
    const stats = await readStats(admin).catch(() => undefined);
    if (stats === undefined) return { outcome: 'unreachable', reason: 'envoy stopped answering while draining' };
    activeRequests = stats.get(ACTIVE_REQUESTS_STAT);
    if ((stats.get(LISTENER_STOPPED_STAT) ?? 0) > 0 && activeRequests === 0) return { outcome: 'drained' };
    if (now() >= deadline) return { outcome: 'deadline', activeRequests };
    await sleep(Math.min(pollIntervalMs, Math.max(0, deadline - now())));
  }
}

async function readStats(admin: string): Promise<Map<string, number>> {
  const filter = encodeURIComponent(`^(${[LISTENER_STOPPED_STAT, ACTIVE_REQUESTS_STAT].map((name) => name.replaceAll('.', '\\.')).join('|')})$`);
  const response = await fetch(`${admin}/stats?format=json&filter=${filter}`, { signal: AbortSignal.timeout(2000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const body = (await response.json()) as { stats?: { name?: string; value?: unknown }[] };
  const stats = new Map<string, number>();
  for (const stat of body.stats ?? []) {
    if (typeof stat.name === 'string' && typeof stat.value === 'number') stats.set(stat.name, stat.value);
  }
  return stats;
}

function describeFailure(error: unknown): string {
  return (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
}
