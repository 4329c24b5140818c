import { readFileSync, statSync } from 'node:fs';
import type { StreamsMemoryReport } from './streams-memory.js';

/**
 * Issue 17's targets, from one run: the peers group's figures (bench/peers.ts, ratios against
 * Portkey measured side by side), the memory group's RSS when it ran in the same run, and the
 * sidecar-workers figures from bench/results/workers.json when `make bench-workers` wrote one.
 * Pure: the figures in, one row per target out.
 */
export interface IssueTarget {
  name: string;
  limit: string;
  measured: string;
  /** undefined: not measured in this run (the measured column says why), or no limit to meet. */
  met?: boolean;
}

/** bench/results/workers.json (bench/workers.ts), with the date it was written. */
export interface WorkersFile {
  date: string;
  results: { workers: number; throughputRps: number; cpuPerRequestMicros: number; envoyCpuPerRequestMicros: number; sidecarCpuPerRequestMicros: number }[];
}

/** The workers figures, or undefined when the file is missing or unreadable; a file without a date is dated by its modification time. */
export function readWorkersFile(path: string): WorkersFile | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<WorkersFile>;
    if (!Array.isArray(parsed.results)) return undefined;
    return { date: parsed.date ?? statSync(path).mtime.toISOString(), results: parsed.results };
  } catch {
    return undefined;
  }
}

const APIS = [
  { api: 'openai', label: 'pass-through' },
  { api: 'anthropic', label: 'translation' },
] as const;

/** Added over a reference, ms, or undefined when either is missing. */
function added(figures: Record<string, number>, contender: string, reference: string, name: string): number | undefined {
  const value = figures[`${contender}.${name}`];
  const base = figures[`${reference}.${name}`];
  return value === undefined || base === undefined ? undefined : Math.round((value - base) * 1000) / 1000;
}

function times(value: number, of: number): string {
  return of > 0 ? `${Math.round((value / of) * 100) / 100}×` : 'no ratio';
}

/**
 * `ours <= factor × portkey` (lower is better), both measured the same way. Compared without
 * dividing, so a Portkey figure at or below 0 (possible for an added latency on a noisy
 * machine) still gives a verdict.
 */
function ratioTarget(name: string, factor: number, ours: number | undefined, portkey: number | undefined, unit: string): IssueTarget {
  const limit = `<= ${factor} × Portkey's`;
  if (ours === undefined || portkey === undefined) return { name, limit, measured: 'not run' };
  return { name, limit, measured: `${ours} ${unit} vs ${portkey} ${unit} (${times(ours, portkey)})`, met: ours <= factor * portkey };
}

export function evaluateIssue17Targets(figures: Record<string, number> | undefined, memory?: StreamsMemoryReport, workers?: WorkersFile): IssueTarget[] {
  const f = figures ?? {};
  const targets: IssueTarget[] = [];
  for (const { api, label } of APIS) {
    const ours = `ours-${api}`;
    const portkey = `portkey-${api}`;
    const mock = `mock-${api}`;
    const envoy = `envoy-${api}`;
    for (const [percentile, rate, factor] of [
      ['p50', '200rps', 0.6],
      ['p99', '200rps', 0.5],
      ['p99', '500rps', 0.5],
    ] as const) {
      const name = `${percentile}_ms_${rate}`;
      targets.push(ratioTarget(`${label}: ${percentile} added over mock direct at ${rate.replace('rps', ' req/s')}`, factor, added(f, ours, mock, name), added(f, portkey, mock, name), 'ms'));
    }
    targets.push(
      ratioTarget(`${label}: CPU per request, Envoy + sidecar, at 200 req/s`, 0.7, f[`${ours}.cpu_us_200rps`], f[`${portkey}.cpu_us_200rps`], 'µs'),
      ratioTarget(`${label}: CPU per request, Envoy + sidecar, at maximum throughput`, 0.3, f[`${ours}.cpu_us_max`], f[`${portkey}.cpu_us_max`], 'µs'),
    );
    const [oursMax, portkeyMax, envoyMax] = [f[`${ours}.max_rps`], f[`${portkey}.max_rps`], f[`${envoy}.max_rps`]];
    targets.push(
      oursMax === undefined || portkeyMax === undefined
        ? { name: `${label}: maximum throughput against Portkey's`, limit: ">= 5 × Portkey's", measured: 'not run' }
        : { name: `${label}: maximum throughput against Portkey's`, limit: ">= 5 × Portkey's", measured: `${oursMax} vs ${portkeyMax} req/s (${times(oursMax, portkeyMax)})`, met: oursMax >= 5 * portkeyMax },
      oursMax === undefined || envoyMax === undefined
        ? { name: `${label}: maximum throughput against Envoy alone`, limit: '>= 30 % of Envoy alone', measured: 'not run' }
        : { name: `${label}: maximum throughput against Envoy alone`, limit: '>= 30 % of Envoy alone', measured: `${oursMax} vs ${envoyMax} req/s (${envoyMax > 0 ? Math.round((oursMax / envoyMax) * 1000) / 10 : 0} %)`, met: oursMax >= 0.3 * envoyMax },
    );
    const chunks = f[`${ours}.chunks_per_stream`];
    const totalAdded = added(f, ours, envoy, 'total_p50_ms');
    const transitAdded = added(f, ours, envoy, 'transit_p50_ms');
    const ttftAdded = added(f, ours, envoy, 'ttft_p50_ms');
    const perChunk = totalAdded === undefined || chunks === undefined ? undefined : Math.round((totalAdded * 1000) / chunks);
    const transit = transitAdded === undefined ? undefined : Math.round(transitAdded * 1000);
    targets.push(
      perChunk === undefined
        ? { name: `${label}: added per chunk over Envoy alone, (total − Envoy's total) / chunks`, limit: '<= 50 µs', measured: 'not run' }
        : { name: `${label}: added per chunk over Envoy alone, (total − Envoy's total) / chunks`, limit: '<= 50 µs', measured: `${perChunk} µs`, met: perChunk <= 50 },
      transit === undefined
        ? { name: `${label}: added per chunk over Envoy alone, chunk transit p50 (each chunk's own delay)`, limit: '<= 50 µs', measured: 'not run' }
        : { name: `${label}: added per chunk over Envoy alone, chunk transit p50 (each chunk's own delay)`, limit: '<= 50 µs', measured: `${transit} µs`, met: transit <= 50 },
      ttftAdded === undefined
        ? { name: `${label}: added time to first token over Envoy alone, 64 concurrent streams (p50)`, limit: '<= 1 ms', measured: 'not run' }
        : { name: `${label}: added time to first token over Envoy alone, 64 concurrent streams (p50)`, limit: '<= 1 ms', measured: `${ttftAdded} ms`, met: ttftAdded <= 1 },
    );
  }
  if (memory === undefined) {
    targets.push({ name: 'sidecar RSS at rest', limit: '<= 150 MiB', measured: 'not run (memory group)' }, { name: 'sidecar RSS with 1,000 concurrent streams open', limit: '<= 150 MiB', measured: 'not run (memory group)' });
  } else {
    targets.push(
      { name: 'sidecar RSS at rest', limit: `<= ${memory.targetMiB} MiB`, measured: `${memory.idleRssMiB} MiB`, met: memory.idleMet },
      { name: `sidecar RSS with ${memory.streams.toLocaleString('en-US')} concurrent streams open`, limit: `<= ${memory.targetMiB} MiB`, measured: memory.readingsWhileOpen > 0 ? `${memory.openRssMiB} MiB` : 'never all open', met: memory.openMet },
    );
  }
  const workerRows = [1, 2].map((count) => workers?.results.find((entry) => entry.workers === count));
  targets.push({
    name: 'sidecar workers 1 and 2: max throughput and CPU per request (Envoy + sidecar), reported',
    limit: 'reported',
    measured:
      workers === undefined || workerRows.some((entry) => entry === undefined)
        ? 'not run (make bench-workers)'
        : `${workerRows.map((entry) => `${entry!.workers}: ${entry!.throughputRps} req/s, ${entry!.cpuPerRequestMicros} µs`).join('; ')} (bench/results/workers.json, ${workers.date.slice(0, 10)})`,
    ...(workers !== undefined && workerRows.every((entry) => entry !== undefined) ? { met: true } : {}),
  });
  return targets;
}
