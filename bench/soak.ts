import { dirname, join } from 'node:path';
import { hashKeySecret } from '../src/governance/key-secret.js';
import { startGateway, type GatewayHarness } from '../test/support/gateway-harness.js';
import type { MockProfile } from './mock-upstream.js';
import { cpuMicros, findChildByCommandLine, findChildByEnvironment, memory, systemCpu } from './proc-stats.js';
import type { MockProcess } from './run.js';
import { EVENT_LOOP_RESOLUTION_MS, eventLoopWindow, settleInFlight, type EventLoopWindow, type InFlightGauge } from './sidecar-gauges.js';
import { emptyOutcomes, runSoakTraffic, SOAK_CYCLE, type SoakOutcomes, type SoakSecrets } from './soak-traffic.js';

/**
 * The steady-state run of `make bench` (issue 17): a gateway with a virtual key whose budget
 * and parallel limit make every request reserve and settle, under a fixed rate of the mixed
 * traffic of soak-traffic.ts (answers, streams, streams cut short, dropped clients,
 * refusals) for BENCH_SOAK_SECONDS (default 30 s; 1800 for the 30-minute soak).
 *
 * It reports the sidecar's RSS over the run and its growth, the event-loop delay (prom-client's
 * monitorEventLoopDelay windows), and checks, after traffic stops:
 * - the gauges of work in flight (sidecar-gauges.ts) are all 0;
 * - every request that reached the mock (counted there by x-request-id) has exactly one
 *   "request finished" line in the sidecar's log, and no request has two;
 * - every refusal the clients received has one "request refused" line;
 * - every client got what its kind should get.
 */
export interface SoakOptions {
  mock: MockProcess;
  providers: Record<string, unknown>;
  models: Record<string, unknown>;
  environment: Record<string, string>;
  seconds: number;
  rate: number;
  warmupSeconds: number;
  /** Seconds between two readings of RSS and event-loop delay. */
  sampleSeconds: number;
  log: (line: string) => void;
}

export interface SoakSample {
  /** Seconds since the measured phase started. */
  atSeconds: number;
  rssMiB: number;
  heapUsedMiB: number;
  eventLoop: EventLoopWindow;
}

export interface SoakCheck {
  name: string;
  passed: boolean;
  detail: string;
}

export interface SoakReport {
  seconds: number;
  rate: number;
  warmupSeconds: number;
  mix: string;
  profile: MockProfile;
  outcomes: SoakOutcomes;
  rss: { startMiB: number; endMiB: number; growthMiB: number; secondHalfGrowthMiB: number; peakMiB: number };
  heapUsed: { startMiB: number; endMiB: number };
  eventLoop: { meanMs: number; worstP99Ms: number; maxMs: number; note: string };
  /** The in-flight gauges once traffic stopped, and how long they took to reach 0 (undefined: they did not). */
  gaugesAtEnd: Record<InFlightGauge, number>;
  settledAfterMs: number | undefined;
  metering: {
    /** Distinct request ids the mock received. */
    reachedMock: number;
    /** Ids the mock received more than once (Envoy retries) and requests without an id. */
    mockRepeats: number;
    mockWithoutId: number;
    /** "request finished" lines, and among the ids that reached the mock: once, twice or more, never. */
    meteredLines: number;
    meteredOnce: number;
    meteredMoreThanOnce: number;
    notMetered: number;
    /** Metered but never at the mock: the client left before Envoy sent it on. */
    meteredNotAtMock: number;
    cutShortLines: number;
    refusalLines: Record<string, number>;
  };
  sidecarCpuMicrosPerRequest: number;
  majorGcs: number;
  noise: { stealPercent: number; otherProcessesPercent: number };
  samples: SoakSample[];
  checks: SoakCheck[];
  passed: boolean;
}

export const SOAK_PROFILE: MockProfile = { latencyMs: 0, responseBytes: 1024, chunks: 20, chunkBytes: 24, interChunkMs: 5 };
const SETTLE_LIMIT_MS = 15_000;
/** pino writes lines in batches at most 100 ms late: wait this long before the log is complete. */
const LOG_FLUSH_MS = 1000;

const SECRETS: SoakSecrets = { budget: 'sk-bench-soak-budget-0123456789abcdef', limited: 'sk-bench-soak-limited-0123456789abcdef' };

/** Counts the sidecar's metering lines by request id from its raw output, without keeping the output. */
class MeteringLines {
  counting = false;
  readonly finished = new Map<string, number>();
  cutShort = 0;
  readonly refusals: Record<string, number> = {};
  #partial = '';

  take(chunk: Buffer): void {
    const text = this.#partial + chunk.toString();
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    if (!this.counting) return;
    for (const line of lines) {
      if (line.includes('"event":"request"')) {
        const parsed = JSON.parse(line) as { request_id: string; outcome?: string };
        this.finished.set(parsed.request_id, (this.finished.get(parsed.request_id) ?? 0) + 1);
        if (parsed.outcome === 'cut_short') this.cutShort += 1;
      } else if (line.includes('"event":"refusal"')) {
        const code = String((JSON.parse(line) as { status?: number }).status);
        this.refusals[code] = (this.refusals[code] ?? 0) + 1;
      }
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const mib = (bytes: number) => round(bytes / 2 ** 20);

function majorGcCount(exposition: string): number {
  return Number(/^nodejs_gc_duration_seconds_count\{kind="major"\} (\S+)$/m.exec(exposition)?.[1] ?? 0);
}

function heapUsedMiB(exposition: string): number {
  return mib(Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(exposition)?.[1] ?? 0));
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const lines = new MeteringLines();
  const gateway = await startGateway({
    providers: options.providers,
    models: options.models,
    environment: options.environment,
    retainLogs: false,
    onSidecarOutput: (chunk) => lines.take(chunk),
    governance: { mode: 'closed' },
    // Explicit prices, so budget reservations do not depend on the shipped price table.
    prices: { 'mock_openai/gpt-4o-mini': { input: 0.15, output: 0.6 }, 'mock_anthropic/claude-haiku-4-5': { input: 1, output: 5 } },
    keys: [
      { alias: 'soak-budget', hash: hashKeySecret(SECRETS.budget), budget: { usd: 1_000_000, period: 'total' }, max_parallel: 1000 },
      { alias: 'soak-limited', hash: hashKeySecret(SECRETS.limited), requests_per_minute: 1 },
    ],
  });
  try {
    return await soakThrough(gateway, lines, options);
  } finally {
    await gateway.stop();
  }
}

async function soakThrough(gateway: GatewayHarness, lines: MeteringLines, options: SoakOptions): Promise<SoakReport> {
  const sidecar = findChildByEnvironment(process.pid, 'GATEWAY_CONFIG', gateway.configPath);
  const envoy = findChildByCommandLine(process.pid, join(dirname(gateway.configPath), 'envoy.yaml'));
  if (sidecar === undefined || envoy === undefined) throw new Error('could not find the soak gateway\'s sidecar or Envoy process');
  const ours = [process.pid, options.mock.pid, sidecar, envoy];
  options.log(`soak gateway :${gateway.listenerPort} (envoy pid ${envoy}, sidecar pid ${sidecar}): ${options.seconds} s at ${options.rate} req/s`);
  await options.mock.setProfile(SOAK_PROFILE);
  const traffic = { port: gateway.listenerPort, secrets: SECRETS, rate: options.rate, chunks: SOAK_PROFILE.chunks };
  await runSoakTraffic({ ...traffic, seconds: options.warmupSeconds, outcomes: emptyOutcomes() });
  await sleep(LOG_FLUSH_MS);

  // The measured phase: ids counted at the mock, metering lines counted from here on.
  await options.mock.startIds();
  lines.counting = true;
  const samples: SoakSample[] = [];
  const exposition = await gateway.sidecarMetrics(); // resets the event-loop histogram: the first window starts now
  const startRss = memory(sidecar).rssBytes;
  const startHeap = heapUsedMiB(exposition);
  const startGc = majorGcCount(exposition);
  const cpuBefore = cpuMicros(sidecar);
  const oursBefore = ours.reduce((total, pid) => total + cpuMicros(pid), 0);
  const systemBefore = systemCpu();
  const startedAt = performance.now();
  const outcomes = emptyOutcomes();
  let running = true;
  const sampler = (async () => {
    while (running) {
      await sleep(options.sampleSeconds * 1000);
      if (!running) break;
      const text = await gateway.sidecarMetrics();
      samples.push({ atSeconds: round((performance.now() - startedAt) / 1000), rssMiB: mib(memory(sidecar).rssBytes), heapUsedMiB: heapUsedMiB(text), eventLoop: eventLoopWindow(text) });
    }
  })();
  await runSoakTraffic({ ...traffic, seconds: options.seconds, outcomes });
  running = false;
  await sampler;
  const cpuAfter = cpuMicros(sidecar);
  const oursAfter = ours.reduce((total, pid) => total + cpuMicros(pid), 0);
  const systemAfter = systemCpu();
  const last = await gateway.sidecarMetrics();
  samples.push({ atSeconds: round((performance.now() - startedAt) / 1000), rssMiB: mib(memory(sidecar).rssBytes), heapUsedMiB: heapUsedMiB(last), eventLoop: eventLoopWindow(last) });

  // Settle: every gauge of work in flight back to 0.
  const { gauges, settledAfterMs } = await settleInFlight(() => gateway.sidecarMetrics(), SETTLE_LIMIT_MS);
  await sleep(LOG_FLUSH_MS);
  lines.counting = false;
  const ids = await options.mock.takeIds();
  const endRss = memory(sidecar).rssBytes;
  const endExposition = await gateway.sidecarMetrics();

  let meteredOnce = 0;
  let meteredMoreThanOnce = 0;
  let notMetered = 0;
  let mockRepeats = 0;
  for (const [id, count] of Object.entries(ids.counts)) {
    if (count > 1) mockRepeats += 1;
    const metered = lines.finished.get(id) ?? 0;
    if (metered === 1) meteredOnce += 1;
    else if (metered === 0) notMetered += 1;
    else meteredMoreThanOnce += 1;
  }
  let meteredNotAtMock = 0;
  for (const [id, count] of lines.finished) {
    if (ids.counts[id] === undefined) meteredNotAtMock += 1;
    if (count > 1 && ids.counts[id] === undefined) meteredMoreThanOnce += 1;
  }
  const meteredLines = [...lines.finished.values()].reduce((total, count) => total + count, 0);
  const reachedMock = Object.keys(ids.counts).length;
  // Refusals the clients received, by status, from every kind (a dropped client may have had one too).
  const clientRefusals: Record<string, number> = {};
  for (const outcome of Object.values(outcomes)) {
    for (const [status, count] of Object.entries(outcome.statuses)) if (Number(status) >= 400) clientRefusals[status] = (clientRefusals[status] ?? 0) + count;
  }
  const unexpected = Object.entries(outcomes).filter(([, outcome]) => Object.keys(outcome.unexpected).length > 0);
  const secondHalf = samples.filter((sample) => sample.atSeconds >= options.seconds / 2);
  const totalSystem = systemAfter.totalMicros - systemBefore.totalMicros;
  const requests = Object.values(outcomes).reduce((total, outcome) => total + outcome.sent, 0);

  const checks: SoakCheck[] = [
    {
      name: 'in-flight gauges at 0 once traffic stops',
      passed: settledAfterMs !== undefined,
      detail: `${Object.entries(gauges).map(([name, value]) => `${name} ${value}`).join(', ')}${settledAfterMs === undefined ? ` after ${SETTLE_LIMIT_MS / 1000} s` : ` (${settledAfterMs} ms after the last answer)`}`,
    },
    {
      name: 'every request that reached the provider is metered exactly once',
      passed: reachedMock > 0 && notMetered === 0 && meteredMoreThanOnce === 0 && ids.withoutId === 0,
      detail: `${reachedMock} reached the mock: ${meteredOnce} metered once, ${notMetered} never, ${meteredMoreThanOnce} more than once; ${ids.withoutId} without x-request-id`,
    },
    {
      name: 'every refusal is logged once',
      passed: [...new Set([...Object.keys(lines.refusals), ...Object.keys(clientRefusals)])].every((status) => (lines.refusals[status] ?? 0) === (clientRefusals[status] ?? 0)),
      detail: `logged ${JSON.stringify(lines.refusals)}, clients refused ${JSON.stringify(clientRefusals)}`,
    },
    {
      name: 'every client got what its kind should get',
      passed: unexpected.length === 0,
      detail: unexpected.length === 0 ? `${requests} requests` : unexpected.map(([kind, outcome]) => `${kind}: ${JSON.stringify(outcome.unexpected)}`).join('; '),
    },
  ];
  const report: SoakReport = {
    seconds: options.seconds,
    rate: options.rate,
    warmupSeconds: options.warmupSeconds,
    mix: `a cycle of ${SOAK_CYCLE.length}: ${summariseCycle()}`,
    profile: SOAK_PROFILE,
    outcomes,
    rss: {
      startMiB: mib(startRss),
      endMiB: mib(endRss),
      growthMiB: mib(endRss - startRss),
      secondHalfGrowthMiB: secondHalf.length < 2 ? 0 : round(secondHalf.at(-1)!.rssMiB - secondHalf[0]!.rssMiB),
      peakMiB: Math.max(mib(startRss), ...samples.map((sample) => sample.rssMiB)),
    },
    heapUsed: { startMiB: startHeap, endMiB: heapUsedMiB(endExposition) },
    eventLoop: {
      meanMs: samples.length === 0 ? 0 : round(samples.reduce((total, sample) => total + sample.eventLoop.meanMs, 0) / samples.length, 2),
      worstP99Ms: Math.max(0, ...samples.map((sample) => sample.eventLoop.p99Ms)),
      maxMs: Math.max(0, ...samples.map((sample) => sample.eventLoop.maxMs)),
      note: `prom-client's monitorEventLoopDelay in the sidecar (a timer every ${EVENT_LOOP_RESOLUTION_MS} ms; figures are how late it fired beyond that), one window per ${options.sampleSeconds} s reading (each /metrics scrape resets the histogram); mean is the mean of the windows' means, p99 the worst window's, max the largest delay`,
    },
    gaugesAtEnd: gauges,
    settledAfterMs,
    metering: { reachedMock, mockRepeats, mockWithoutId: ids.withoutId, meteredLines, meteredOnce, meteredMoreThanOnce, notMetered, meteredNotAtMock, cutShortLines: lines.cutShort, refusalLines: lines.refusals },
    sidecarCpuMicrosPerRequest: round((cpuAfter - cpuBefore) / Math.max(1, requests)),
    majorGcs: majorGcCount(endExposition) - startGc,
    noise: {
      stealPercent: totalSystem > 0 ? round(((systemAfter.stealMicros - systemBefore.stealMicros) / totalSystem) * 100) : 0,
      otherProcessesPercent: totalSystem > 0 ? round((Math.max(0, systemAfter.busyMicros - systemBefore.busyMicros - (oursAfter - oursBefore)) / totalSystem) * 100) : 0,
    },
    samples,
    checks,
    passed: checks.every((check) => check.passed),
  };
  for (const check of checks) options.log(`  soak: ${check.passed ? 'ok' : 'FAILED'}: ${check.name}: ${check.detail}`);
  options.log(`  soak: RSS ${report.rss.startMiB} -> ${report.rss.endMiB} MiB, event-loop delay mean ${report.eventLoop.meanMs} ms, worst p99 ${report.eventLoop.worstP99Ms} ms, max ${report.eventLoop.maxMs} ms`);
  return report;
}

function summariseCycle(): string {
  const counts = new Map<string, number>();
  for (const kind of SOAK_CYCLE) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return [...counts].map(([kind, count]) => `${count} ${kind}`).join(', ');
}
