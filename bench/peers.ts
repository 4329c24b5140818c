import { mergeRounds, runInWorker, type HttpTarget, type LoadJob, type LoadResult, type RequestRunResult, type StreamRunResult } from './load.js';
import type { MockProfile } from './mock-upstream.js';
import { PORTKEY_VERSION, startPortkey } from './portkey.js';
import { cpuMicros, memory, systemCpu } from './proc-stats.js';
import type { MockProcess, Noise } from './run.js';

/**
 * The `peers` group (issue 17): the gateway side by side with Envoy alone, the mock answered
 * directly, and Portkey OSS, on one machine, against one mock, with one load generator.
 * Every contender gets the same scenarios in interleaved rounds (the order reversed every
 * other round): paced 200 and 500 req/s, maximum throughput on 32 connections, and 64
 * concurrent streams. CPU per request is each contender's own processes' user + system time
 * from /proc during the measured phase (ours: Envoy + sidecar); RSS is read after the runs.
 *
 * Contenders, per provider API (`openai`: pass-through; `anthropic`: an OpenAI Chat
 * Completions client translated to Anthropic Messages):
 *   mock-*     the request the gateway sends the provider, straight to the mock;
 *   envoy-*    the same through Envoy alone (bench/envoy-baseline.ts);
 *   ours-*     the client's request through the gateway;
 *   portkey-*  the client's request through Portkey, pointed at the mock.
 */
export const CONTENDERS = ['mock-openai', 'mock-anthropic', 'envoy-openai', 'envoy-anthropic', 'ours-openai', 'ours-anthropic', 'portkey-openai', 'portkey-anthropic'] as const;
export type ContenderId = (typeof CONTENDERS)[number];
export type PeerApi = 'openai' | 'anthropic';

export interface PeerScenario {
  id: 'json-200rps' | 'json-500rps' | 'json-max' | 'sse-64';
  kind: 'paced' | 'max' | 'stream';
  title: string;
  rate?: number;
  connections?: number;
  concurrency?: number;
}

export const PEER_STREAM_CONCURRENCY = 64;
export const PEER_SCENARIOS: PeerScenario[] = [
  { id: 'json-200rps', kind: 'paced', rate: 200, connections: 16, title: 'JSON, 200 req/s' },
  { id: 'json-500rps', kind: 'paced', rate: 500, connections: 16, title: 'JSON, 500 req/s' },
  { id: 'sse-64', kind: 'stream', concurrency: PEER_STREAM_CONCURRENCY, title: `SSE, ${PEER_STREAM_CONCURRENCY} concurrent streams` },
  // Saturation last: the garbage it leaves is collected during whatever runs next.
  { id: 'json-max', kind: 'max', connections: 32, title: 'JSON, maximum throughput (32 connections)' },
];

export interface PeerMeasurement {
  scenario: PeerScenario['id'];
  contender: ContenderId;
  load: LoadResult;
  /** CPU per completed request (per stream for SSE) of each of the contender's processes, µs. */
  cpuMicros: Record<string, number>;
  noise: Noise;
}

export interface PeersReport {
  portkeyVersion: string;
  settings: { rounds: number; warmupSeconds: number; seconds: number; jsonProfile: MockProfile; streamProfile: MockProfile };
  measurements: PeerMeasurement[];
  /** RSS after every run, MiB, per process of each contender that has processes of its own. */
  rssMiB: Partial<Record<ContenderId, Record<string, number>>>;
  /** Flat `contender.figure` numbers (peerFigures): what the targets and bench/compare.ts read. */
  figures: Record<string, number>;
}

export interface PeersOptions {
  mock: MockProcess;
  /** The chat targets through the gateway and Envoy alone (bench/run.ts buildTargets). */
  ours: Record<PeerApi, Record<'json' | 'sse', HttpTarget>>;
  envoy: Record<PeerApi, Record<'json' | 'sse', HttpTarget>>;
  pids: { gatewayEnvoy: number; sidecar: number; baselineEnvoy: number };
  /** Every other process of the benchmark (this one, the mock), so the rest of the machine's CPU reads as noise. */
  ownPids: number[];
  rounds: number;
  warmupSeconds: number;
  seconds: number;
  globalWarmupSeconds: number;
  jsonProfile: MockProfile;
  streamProfile: MockProfile;
  log: (line: string) => void;
}

interface Contender {
  id: ContenderId;
  api: PeerApi;
  targets: Record<'json' | 'sse', HttpTarget>;
  processes: Record<string, number>;
}

export async function runPeers(options: PeersOptions): Promise<PeersReport> {
  const { mock, log } = options;
  const portkey = await startPortkey(mock.port);
  try {
    log(`peers: Portkey ${PORTKEY_VERSION} on :${portkey.port} (pid ${portkey.pid})`);
    const contenders: Contender[] = (['openai', 'anthropic'] as const).flatMap((api): Contender[] => {
      const direct = (target: HttpTarget): HttpTarget => ({ ...target, port: mock.port });
      // Portkey gets the provider's own model name: it has no aliases.
      const portkeyBody = (stream: boolean) => {
        const body = JSON.parse(options.ours[api][stream ? 'sse' : 'json'].body) as Record<string, unknown>;
        return JSON.stringify({ ...body, model: (JSON.parse(options.envoy[api].json.body) as { model: string }).model });
      };
      return [
        { id: `mock-${api}`, api, targets: { json: direct(options.envoy[api].json), sse: direct(options.envoy[api].sse) }, processes: {} },
        { id: `envoy-${api}`, api, targets: options.envoy[api], processes: { envoy: options.pids.baselineEnvoy } },
        { id: `ours-${api}`, api, targets: options.ours[api], processes: { envoy: options.pids.gatewayEnvoy, sidecar: options.pids.sidecar } },
        { id: `portkey-${api}`, api, targets: { json: portkey.target(api, portkeyBody(false)), sse: portkey.target(api, portkeyBody(true)) }, processes: { portkey: portkey.pid } },
      ];
    });
    const allPids = [...new Set([...options.ownPids, options.pids.gatewayEnvoy, options.pids.sidecar, options.pids.baselineEnvoy, portkey.pid])];

    for (const mode of ['json', 'sse'] as const) {
      await mock.setProfile(mode === 'json' ? options.jsonProfile : options.streamProfile);
      for (const contender of contenders) await checkAnswer(contender, mode, mode === 'json' ? options.jsonProfile : options.streamProfile);
      // Portkey has had no traffic yet: closed loop, so V8 optimises its hot code as it has ours.
      for (const contender of contenders.filter((entry) => entry.id.startsWith('portkey-'))) {
        const timing = { warmupSeconds: 0, seconds: options.globalWarmupSeconds };
        const target = contender.targets[mode];
        await runInWorker(mode === 'json' ? { kind: 'max', target, connections: 8, ...timing } : { kind: 'stream', target, concurrency: 8, expectedChunks: options.streamProfile.chunks, ...timing }, () => undefined);
      }
    }

    const measurements: PeerMeasurement[] = [];
    for (const scenario of PEER_SCENARIOS) {
      const stream = scenario.kind === 'stream';
      const profile = stream ? options.streamProfile : options.jsonProfile;
      await mock.setProfile(profile);
      // Streams straight from the mock measure the mock alone: no target compares with them.
      const measured = contenders.filter((contender) => !(stream && contender.id.startsWith('mock-')));
      const totals = new Map<ContenderId, { rounds: LoadResult[]; cpu: Record<string, number>; total: number; busy: number; steal: number; ours: number }>();
      for (let round = 0; round < options.rounds; round += 1) {
        const order = round % 2 === 0 ? measured : [...measured].reverse();
        for (const contender of order) {
          const read = () => ({
            cpu: Object.fromEntries(Object.entries(contender.processes).map(([name, pid]) => [name, cpuMicros(pid)])),
            ours: allPids.reduce((total, pid) => total + cpuMicros(pid), 0),
            system: systemCpu(),
          });
          let before: ReturnType<typeof read> | undefined;
          const load = await runInWorker(jobFor(scenario, contender.targets[stream ? 'sse' : 'json'], options, profile), () => {
            before = read();
          });
          const after = read();
          const sum = totals.get(contender.id) ?? { rounds: [], cpu: {}, total: 0, busy: 0, steal: 0, ours: 0 };
          sum.rounds.push(load);
          for (const name of Object.keys(after.cpu)) sum.cpu[name] = (sum.cpu[name] ?? 0) + after.cpu[name]! - before!.cpu[name]!;
          sum.total += after.system.totalMicros - before!.system.totalMicros;
          sum.busy += after.system.busyMicros - before!.system.busyMicros;
          sum.steal += after.system.stealMicros - before!.system.stealMicros;
          sum.ours += after.ours - before!.ours;
          totals.set(contender.id, sum);
          log(`  peers ${scenario.id} ${contender.id} (round ${round + 1}/${options.rounds}): ${describe(load)}`);
        }
      }
      for (const contender of measured) {
        const sum = totals.get(contender.id)!;
        const load = mergeRounds(sum.rounds);
        const requests = Math.max(1, load.kind === 'stream' ? load.ok : load.ok + load.non2xx);
        measurements.push({
          scenario: scenario.id,
          contender: contender.id,
          load,
          cpuMicros: Object.fromEntries(Object.entries(sum.cpu).map(([name, micros]) => [name, Math.round((micros / requests) * 10) / 10])),
          noise: {
            stealPercent: sum.total > 0 ? Math.round((sum.steal / sum.total) * 1000) / 10 : 0,
            otherProcessesPercent: sum.total > 0 ? Math.round((Math.max(0, sum.busy - sum.ours) / sum.total) * 1000) / 10 : 0,
          },
        });
      }
    }

    const rssMiB: PeersReport['rssMiB'] = {};
    for (const contender of contenders) {
      if (Object.keys(contender.processes).length === 0) continue;
      rssMiB[contender.id] = Object.fromEntries(Object.entries(contender.processes).map(([name, pid]) => [name, Math.round((memory(pid).rssBytes / 2 ** 20) * 10) / 10]));
    }
    return {
      portkeyVersion: PORTKEY_VERSION,
      settings: { rounds: options.rounds, warmupSeconds: options.warmupSeconds, seconds: options.seconds, jsonProfile: options.jsonProfile, streamProfile: options.streamProfile },
      measurements,
      rssMiB,
      figures: peerFigures(measurements, rssMiB, options.streamProfile.chunks),
    };
  } finally {
    await portkey.stop();
  }
}

/**
 * The flat figures, `contender.name`: p50_ms_200rps, p99_ms_200rps, p50_ms_500rps,
 * p99_ms_500rps (ms, send to last byte); max_rps; cpu_us_200rps, cpu_us_500rps, cpu_us_max
 * (µs per request, the contender's processes summed); ttft_p50_ms, total_p50_ms,
 * transit_p50_ms (streams, ms); cpu_us_per_stream; failed (all scenarios); rss_mib (its
 * processes summed) and, for ours, sidecar_rss_mib. A figure a contender has no data for
 * (the mock's CPU, the mock's streams) is absent.
 */
export function peerFigures(measurements: PeerMeasurement[], rssMiB: PeersReport['rssMiB'], chunks: number): Record<string, number> {
  const figures: Record<string, number> = {};
  const cpuTotal = (measurement: PeerMeasurement) => Object.values(measurement.cpuMicros).reduce((total, value) => total + value, 0);
  for (const measurement of measurements) {
    const key = (name: string) => `${measurement.contender}.${name}`;
    const hasCpu = Object.keys(measurement.cpuMicros).length > 0;
    const load = measurement.load;
    figures[key('failed')] = (figures[key('failed')] ?? 0) + (load.kind === 'stream' ? load.errors : load.non2xx + load.errors);
    if (load.kind === 'stream') {
      figures[key('ttft_p50_ms')] = load.firstTokenMs.p50;
      figures[key('ttft_p99_ms')] = load.firstTokenMs.p99;
      figures[key('total_p50_ms')] = load.totalMs.p50;
      figures[key('transit_p50_ms')] = load.chunkTransitMs.p50;
      figures[key('streams_per_s')] = Math.round(load.streamsPerSecond);
      figures[key('chunks_per_stream')] = chunks;
      if (hasCpu) figures[key('cpu_us_per_stream')] = Math.round(cpuTotal(measurement));
      continue;
    }
    const suffix = measurement.scenario === 'json-max' ? 'max' : measurement.scenario === 'json-200rps' ? '200rps' : '500rps';
    if (suffix === 'max') figures[key('max_rps')] = Math.round(load.throughputRps);
    else {
      figures[key(`p50_ms_${suffix}`)] = load.latencyMs.p50;
      figures[key(`p99_ms_${suffix}`)] = load.latencyMs.p99;
      figures[key(`rps_${suffix}`)] = Math.round(load.throughputRps);
    }
    if (hasCpu) figures[key(`cpu_us_${suffix}`)] = Math.round(cpuTotal(measurement));
  }
  for (const [contender, processes] of Object.entries(rssMiB)) {
    figures[`${contender}.rss_mib`] = Math.round(Object.values(processes).reduce((total, value) => total + value, 0) * 10) / 10;
    if (processes.sidecar !== undefined) figures[`${contender}.sidecar_rss_mib`] = processes.sidecar;
  }
  return figures;
}

function jobFor(scenario: PeerScenario, target: HttpTarget, options: PeersOptions, profile: MockProfile): LoadJob {
  const timing = { warmupSeconds: options.warmupSeconds, seconds: options.seconds };
  if (scenario.kind === 'paced') return { kind: 'paced', target, rate: scenario.rate!, connections: scenario.connections!, ...timing };
  if (scenario.kind === 'max') return { kind: 'max', target, connections: scenario.connections!, ...timing };
  return { kind: 'stream', target, concurrency: scenario.concurrency!, expectedChunks: profile.chunks, ...timing };
}

/** One answer through a contender, checked: a wrong answer must stop the benchmark, not be timed. */
async function checkAnswer(contender: Contender, mode: 'json' | 'sse', profile: MockProfile): Promise<void> {
  const target = contender.targets[mode];
  const response = await fetch(`http://${target.host}:${target.port}${target.path}`, { method: 'POST', headers: target.headers, body: target.body });
  const body = await response.text();
  const stamps = body.split('<TS:').length - 1;
  const problem =
    response.status !== 200
      ? `status ${response.status}`
      : mode === 'sse'
        ? stamps === profile.chunks
          ? undefined
          : `${stamps} of ${profile.chunks} chunks`
        : body.length >= profile.responseBytes
          ? undefined
          : `a ${body.length}-byte answer`;
  if (problem) throw new Error(`peers: ${contender.id} ${mode} check failed: ${problem}\n${body.slice(0, 500)}`);
}

function describe(load: LoadResult): string {
  if (load.kind === 'stream') {
    const streams = load as StreamRunResult;
    return `${streams.ok} streams (${streams.errors} failed), first token p50 ${streams.firstTokenMs.p50} ms, total p50 ${streams.totalMs.p50} ms`;
  }
  const requests = load as RequestRunResult;
  return `${requests.ok} ok, ${requests.non2xx + requests.errors} failed, ${Math.round(requests.throughputRps)} req/s, p50 ${requests.latencyMs.p50} ms, p99 ${requests.latencyMs.p99} ms`;
}
