import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { envoyBinary, startGateway, type GatewayHarness } from '../test/support/gateway-harness.js';
import { freePort } from '../test/support/free-port.js';
import { BASELINE_ROUTE_HEADER, startBaselineEnvoy, type BaselineEnvoy } from './envoy-baseline.js';
import { mergeRounds, runInWorker, type HttpTarget, type LatencySummary, type LoadJob, type LoadResult, type RequestRunResult, type StreamRunResult } from './load.js';
import { monotonicMicros, type LastRequest, type MockProfile, type MockStats, type RequestIds } from './mock-upstream.js';
import { analyseProfile, type CpuProfile, type ProfileWindow, type WindowAnalysis } from './profile.js';
import { cpuMicros, describeMachine, findChildByCommandLine, findChildByEnvironment, memory, systemCpu, type MachineDescription, type SystemCpu } from './proc-stats.js';
import { FEATURE_GROUPS, runFeatures, type FeatureGroup, type FeaturesReport } from './features.js';
import { evaluateIssue17Targets, readWorkersFile, type IssueTarget } from './issue17-targets.js';
import { runPeers, type PeerApi, type PeersReport } from './peers.js';
import { installedPortkey, peersDirectory, PORTKEY_VERSION } from './portkey.js';
import { renderMarkdown } from './report.js';
import { runSoak, type SoakReport } from './soak.js';
import { runStreamsMemory, type StreamsMemoryReport } from './streams-memory.js';

/**
 * `make bench`: what the gateway (Envoy + ext_proc sidecar) adds to a request and to a
 * streamed chunk, against Envoy alone (same binary, same rendered listener, route and
 * clusters, no ext_proc) in front of the same mock provider, on this machine.
 *
 *   node dist/bench/run.js [--smoke] [--out DIR] [--no-profile] [--only chat,messages,cache,guardrails,routing]
 *
 * `--only` (or BENCH_ONLY, same syntax) runs some groups: chat and messages are the client
 * APIs against Envoy alone; cache, guardrails and routing (issues 14-16, bench/features.ts)
 * compare a model with the feature against the same model without it, through the gateway.
 *
 * Writes DIR/latest.json and DIR/latest.md (default bench/results). The chart
 * (latest.png) is drawn afterwards by bench/chart.py, from the JSON.
 */

/** The client's API and the provider's: chat completions to either kind, and (issue 13) Anthropic Messages to either kind. */
export type Api = 'openai' | 'anthropic' | 'messages-anthropic' | 'messages-openai';
export type Side = 'baseline' | 'gateway';

/**
 * What `BENCH_ONLY` (or `--only`) selects: the client APIs (chat, messages), the feature
 * scenarios (bench/features.ts), the sidecar's memory with 1,000 concurrent streams
 * (bench/streams-memory.ts), the steady-state soak (bench/soak.ts) and the side-by-side
 * comparison with Portkey (bench/peers.ts).
 */
export const BENCH_GROUPS = ['chat', 'messages', 'peers', 'cache', 'guardrails', 'routing', 'memory', 'soak'] as const;
export type BenchGroup = (typeof BENCH_GROUPS)[number];

export interface ScenarioSpec {
  id: string;
  api: Api;
  kind: 'paced' | 'max' | 'stream';
  title: string;
  rate?: number;
  connections?: number;
  concurrency?: number;
}

export const APIS: { api: Api; label: string; group: 'chat' | 'messages' }[] = [
  { api: 'openai', label: 'OpenAI pass-through', group: 'chat' },
  { api: 'anthropic', label: 'Anthropic translation', group: 'chat' },
  { api: 'messages-anthropic', label: 'Messages pass-through (Anthropic target)', group: 'messages' },
  { api: 'messages-openai', label: 'Messages→OpenAI translation', group: 'messages' },
];
const CHAT_APIS = APIS.filter((entry) => entry.group === 'chat');
const MESSAGES_APIS = APIS.filter((entry) => entry.group === 'messages');

export const MAX_CONNECTIONS = 32;
export const STREAM_CONCURRENCY = 4;

// Saturation runs come last: the garbage a sidecar promotes at full load is collected by major GCs
// during whatever runs next, which would land in the fixed-rate latencies. Messages clients
// (issue 13) are measured at the rate the targets name (500 req/s) and streaming, to keep the
// run short; the chat scenarios stay as they were, so "no regression on chat" reads off history.
export const SCENARIOS: ScenarioSpec[] = [
  ...CHAT_APIS.flatMap(({ api, label }): ScenarioSpec[] => [
    { id: `${api}-json-100rps`, api, kind: 'paced', rate: 100, connections: 16, title: `${label}, JSON, 100 req/s` },
    { id: `${api}-json-250rps`, api, kind: 'paced', rate: 250, connections: 16, title: `${label}, JSON, 250 req/s` },
    { id: `${api}-json-500rps`, api, kind: 'paced', rate: 500, connections: 16, title: `${label}, JSON, 500 req/s` },
    { id: `${api}-sse-20`, api, kind: 'stream', concurrency: STREAM_CONCURRENCY, title: `${label}, SSE, 20 chunks, ${STREAM_CONCURRENCY} concurrent streams` },
  ]),
  ...MESSAGES_APIS.flatMap(({ api, label }): ScenarioSpec[] => [
    { id: `${api}-json-500rps`, api, kind: 'paced', rate: 500, connections: 16, title: `${label}, JSON, 500 req/s` },
    { id: `${api}-sse-20`, api, kind: 'stream', concurrency: STREAM_CONCURRENCY, title: `${label}, SSE, 20 chunks, ${STREAM_CONCURRENCY} concurrent streams` },
  ]),
  ...CHAT_APIS.map(({ api, label }): ScenarioSpec => ({ id: `${api}-json-max`, api, kind: 'max', connections: MAX_CONNECTIONS, title: `${label}, JSON, maximum throughput (${MAX_CONNECTIONS} connections)` })),
];

export const SCENARIO_IDS = SCENARIOS.map((scenario) => scenario.id);

/** The group a scenario's API belongs to. */
export function groupOf(api: Api): 'chat' | 'messages' {
  return APIS.find((entry) => entry.api === api)!.group;
}

/**
 * The groups to run: `--only a,b` or the BENCH_ONLY environment variable (same syntax), else
 * all; in smoke mode all but `peers`, which needs Portkey installed by `make bench` (the smoke
 * run is part of `make test`, which must not download it). An unknown name is an error, so a
 * typo does not silently run nothing.
 */
export function selectedGroups(value: string | undefined, mode: 'full' | 'smoke' = 'full'): BenchGroup[] {
  if (value === undefined || value.trim() === '') return BENCH_GROUPS.filter((group) => mode === 'full' || group !== 'peers');
  const names = value.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  for (const name of names) if (!(BENCH_GROUPS as readonly string[]).includes(name)) throw new Error(`unknown bench group "${name}": expected some of ${BENCH_GROUPS.join(', ')}`);
  return BENCH_GROUPS.filter((group) => names.includes(group));
}

export interface ModeSettings {
  /** Measured rounds per side and scenario, in alternating order; their samples are merged. */
  rounds: number;
  /** Closed-loop load through every path before anything is measured, so V8 has optimised the hot code. */
  globalWarmupSeconds: number;
  warmupSeconds: number;
  seconds: number;
  profileSeconds: number;
}

export const MODES: Record<'full' | 'smoke', ModeSettings> = {
  full: { rounds: 2, globalWarmupSeconds: 2, warmupSeconds: 1, seconds: 3.5, profileSeconds: 4 },
  smoke: { rounds: 1, globalWarmupSeconds: 0.3, warmupSeconds: 0.2, seconds: 0.5, profileSeconds: 0.5 },
};

/**
 * The soak (bench/soak.ts): BENCH_SOAK_SECONDS sets its length (1800 for the 30-minute run),
 * BENCH_SOAK_RATE its rate; readings of RSS and event-loop delay every sampleSeconds.
 */
export const SOAK_MODES: Record<'full' | 'smoke', { seconds: number; rate: number; warmupSeconds: number; sampleSeconds: number }> = {
  full: { seconds: 30, rate: 50, warmupSeconds: 3, sampleSeconds: 5 },
  smoke: { seconds: 5, rate: 50, warmupSeconds: 1, sampleSeconds: 1 },
};

/** 1,000 concurrent streams (bench/streams-memory.ts): opened over rampSeconds, each lasting holdSeconds. */
export const STREAMS_MEMORY_MODES: Record<'full' | 'smoke', { streams: number; rampSeconds: number; holdSeconds: number; warmupSeconds: number }> = {
  full: { streams: 1000, rampSeconds: 3, holdSeconds: 10, warmupSeconds: 4 },
  smoke: { streams: 1000, rampSeconds: 2, holdSeconds: 6, warmupSeconds: 1 },
};

/** The paced rate of the profiled JSON windows: one the gateway sustains on a small machine. */
export const PROFILE_RATE = 250;

export const JSON_PROFILE: MockProfile = { latencyMs: 0, responseBytes: 1024, chunks: 20, chunkBytes: 24, interChunkMs: 2 };
export const STREAM_PROFILE: MockProfile = { ...JSON_PROFILE };
/** The peers group's streams: issue 17's side-by-side run used 50 chunks 2 ms apart. */
export const PEERS_STREAM_PROFILE: MockProfile = { ...JSON_PROFILE, chunks: 50 };

export interface CpuUse {
  /** Process CPU time (user + system) in the measured phase, per completed request, microseconds. */
  perRequestMicros: number;
  /** Per streamed content chunk (streams only): the process's CPU per stream divided by its chunks. */
  perChunkMicros?: number;
}

/** What else the machine did during a measured run: a shared or oversubscribed host shows here. */
export interface Noise {
  /** CPU time the hypervisor gave to other guests, percent of all cores. */
  stealPercent: number;
  /** CPU used by processes other than the benchmark's own (load generator, mock, Envoys, sidecar), percent of all cores. */
  otherProcessesPercent: number;
}

/** The Envoy -> sidecar gRPC connection during a measured run (from Envoy's stats). */
export interface SidecarConnection {
  /**
   * Connections the sidecar closed with GOAWAY (Envoy: upstream_cx_close_notify), failing the
   * streams in flight. Envoy's own move to a fresh connection every 900 streams is not a loss
   * (connectionsRotated).
   */
  connectionsLost: number;
  /** Connections Envoy retired after max_requests_per_connection streams (upstream_cx_max_requests). */
  connectionsRotated: number;
  /** New connections opened to the sidecar. */
  connectionsOpened: number;
  /** ext_proc streams that failed (each fails its request closed: 500/503). */
  streamsFailed: number;
  /** ext_proc streams Envoy ended with RST_STREAM. */
  streamsReset: number;
}

export interface SideResult {
  load: LoadResult;
  envoyCpu: CpuUse;
  sidecarCpu?: CpuUse;
  sidecarRssMiB?: number;
  sidecarConnection?: SidecarConnection;
  /** The sidecar's garbage collections during the run (its own nodejs_gc_duration_seconds, read outside the measured phase). */
  sidecarGc?: GcActivity;
  mockCpu: CpuUse;
  noise: Noise;
}

export interface ScenarioResult extends ScenarioSpec {
  baseline: SideResult;
  gateway: SideResult;
  added: Record<string, number>;
}

export interface Target {
  name: string;
  limit: string;
  measured: string;
  met: boolean;
}

export interface BenchReport {
  schema: 'llm-gateway-bench/1';
  mode: 'full' | 'smoke';
  date: string;
  machine: MachineDescription & { envoy: string };
  settings: ModeSettings & { jsonProfile: MockProfile; streamProfile: MockProfile; sidecarLogLevel: string; envoyConcurrency: number; profileRate: number; method: string[] };
  /** The groups this run measured (BENCH_ONLY / --only); a partial run's report has only their sections. */
  groups: BenchGroup[];
  scenarios: ScenarioResult[];
  /** Per API measured: the headline figures. */
  summary: Partial<Record<Api, Record<string, number>>>;
  targets: Target[];
  profile?: { intervalMicros: number; windows: WindowAnalysis[]; note: string };
  /** Cache, guardrail and routing scenarios (issues 14-16), when any of those groups ran. */
  features?: FeaturesReport;
  /** Sidecar RSS at rest and with 1,000 concurrent streams open (issue 17), when the memory group ran. */
  streamsMemory?: StreamsMemoryReport;
  /** The steady-state soak (issue 17), when the soak group ran. */
  soak?: SoakReport;
  /** Side by side with Envoy alone, the mock and Portkey (issue 17), when the peers group ran. */
  peers?: PeersReport;
  /** Every issue 17 target, when the peers group ran: measured, limit, met. */
  issue17Targets?: IssueTarget[];
  durationSeconds: number;
}

export interface BenchOptions {
  mode: 'full' | 'smoke';
  outDir: string;
  profile: boolean;
  /** What to measure (default: every group). */
  groups?: BenchGroup[];
  /** Length of the soak's measured phase (BENCH_SOAK_SECONDS; default SOAK_MODES[mode].seconds). */
  soakSeconds?: number;
  /** The soak's request rate (BENCH_SOAK_RATE; default SOAK_MODES[mode].rate). */
  soakRate?: number;
  log?: (line: string) => void;
}

const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

const SYSTEM_PROMPT = 'You are a concise assistant for an engineering team. Answer in plain English.';
const USER_PROMPT =
  'Summarise the trade-offs of running an external processing sidecar next to a proxy that owns the network: ' +
  'latency per request, latency per streamed chunk, CPU per request, memory, failure modes when the sidecar is ' +
  'slow or down, and how retries to another provider interact with request translation. Keep it short, with one ' +
  'sentence per point, and end with a recommendation for a team that serves a few hundred requests per second.';

const MODELS: Record<Api, { alias: string; provider: string; model: string }> = {
  openai: { alias: 'bench-openai', provider: 'mock_openai', model: 'gpt-4o-mini' },
  anthropic: { alias: 'bench-anthropic', provider: 'mock_anthropic', model: 'claude-haiku-4-5' },
  // Messages clients use the same two models: what differs is the endpoint, not the provider.
  'messages-anthropic': { alias: 'bench-anthropic', provider: 'mock_anthropic', model: 'claude-haiku-4-5' },
  'messages-openai': { alias: 'bench-openai', provider: 'mock_openai', model: 'gpt-4o-mini' },
};

/** Where each API's client sends its request, and the headers it adds. */
export function clientRequest(api: Api): { path: string; headers: Record<string, string> } {
  if (groupOf(api) === 'messages') return { path: '/v1/messages', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' } };
  return { path: '/v1/chat/completions', headers: { 'content-type': 'application/json' } };
}

export function clientBody(api: Api, stream: boolean): string {
  if (groupOf(api) === 'messages') {
    // The same conversation as an Anthropic Messages request (the system prompt is a top-level field).
    return JSON.stringify({
      model: MODELS[api].alias,
      system: SYSTEM_PROMPT,
      messages: [{ role: 'user', content: USER_PROMPT }],
      max_tokens: 256,
      temperature: 0.7,
      ...(stream ? { stream: true } : {}),
    });
  }
  return JSON.stringify({
    model: MODELS[api].alias,
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: USER_PROMPT },
    ],
    max_tokens: 256,
    temperature: 0.7,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

/** Headers a baseline client repeats from what the gateway sent the provider (the credential, the API version). */
const NOT_REPEATED = /^(host|content-length|connection|transfer-encoding|x-forwarded-.*|x-request-id|x-envoy-.*)$/;

export interface MockProcess {
  port: number;
  pid: number;
  setProfile(profile: MockProfile): Promise<void>;
  stats(): Promise<MockStats>;
  last(): Promise<Partial<Record<keyof MockStats['requests'], LastRequest>>>;
  /** Forgets the kept requests: the next of each kind is kept. */
  resetLast(): Promise<void>;
  /** Starts counting the x-request-id of each chat and Messages request the mock receives. */
  startIds(): Promise<void>;
  /** Stops counting and returns the counts. */
  takeIds(): Promise<RequestIds>;
  stop(): Promise<void>;
}

export async function startMockProcess(): Promise<MockProcess> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./mock-upstream.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolvePort, reject) => {
    child.once('message', (message) => resolvePort((message as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`mock upstream exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${port}/__bench`;
  const json = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${base}${path}`, init);
    if (!response.ok) throw new Error(`mock ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    port,
    pid: child.pid!,
    setProfile: async (profile) => void (await json('/profile', { method: 'POST', body: JSON.stringify(profile) })),
    stats: () => json('/stats'),
    last: () => json('/last'),
    resetLast: async () => void (await json('/last/reset', { method: 'POST' })),
    startIds: async () => void (await json('/ids/start', { method: 'POST' })),
    takeIds: () => json('/ids/take', { method: 'POST' }),
    stop: () =>
      new Promise((resolveStop) => {
        if (child.exitCode !== null) return resolveStop();
        child.once('exit', () => resolveStop());
        child.kill('SIGTERM');
      }),
  };
}

function envoyVersion(): string {
  try {
    const text = execFileSync(envoyBinary(), ['--version'], { encoding: 'utf8' });
    return /\/(\d+\.\d+\.\d+)\//.exec(text)?.[1] ?? text.trim();
  } catch {
    return 'unknown';
  }
}

function gatewaySections(mockPort: number): { providers: Record<string, unknown>; models: Record<string, unknown> } {
  return {
    providers: {
      mock_openai: { kind: 'openai', base_url: `http://127.0.0.1:${mockPort}/v1`, credential: { env: 'BENCH_OPENAI_KEY' } },
      mock_anthropic: { kind: 'anthropic', base_url: `http://127.0.0.1:${mockPort}/v1`, credential: { env: 'BENCH_ANTHROPIC_KEY' } },
    },
    models: Object.fromEntries(Object.values(MODELS).map(({ alias, provider, model }) => [alias, { provider, model }])),
  };
}

/**
 * BENCH_PASS_THROUGH_OBSERVABILITY=1 runs the gateway with sidecar.pass_through_observability_mode
 * (one worker): pass-through answers metered by the observability-mode filter, for A/B runs.
 */
export function observabilityOptions(): { passThroughObservabilityMode?: boolean; sidecarWorkers?: number } {
  return process.env.BENCH_PASS_THROUGH_OBSERVABILITY === '1' ? { passThroughObservabilityMode: true, sidecarWorkers: 1 } : {};
}

const SIDECAR_ENVIRONMENT = { LOG_LEVEL: 'info', BENCH_OPENAI_KEY: 'sk-bench-openai-key', BENCH_ANTHROPIC_KEY: 'sk-ant-bench-key' };

/** One request through `target`, checked: a wrong answer must stop the benchmark, not be timed. */
async function check(target: HttpTarget, expect: (status: number, body: string) => string | undefined): Promise<void> {
  const response = await fetch(`http://${target.host}:${target.port}${target.path}`, { method: 'POST', headers: target.headers, body: target.body });
  const body = await response.text();
  const problem = expect(response.status, body);
  if (problem) throw new Error(`sanity check of ${target.path} on :${target.port} failed: ${problem}\n${body.slice(0, 500)}`);
}

function stampCount(body: string): number {
  return body.split('<TS:').length - 1;
}

interface Counters {
  sidecar?: number;
  envoy: number;
  mock: number;
  ours: number;
  system: SystemCpu;
  at: number;
}

const SIDECAR_STATS = {
  connectionsLost: /^cluster\.gateway_sidecar\.upstream_cx_close_notify$/,
  connectionsRotated: /^cluster\.gateway_sidecar\.upstream_cx_max_requests$/,
  connectionsOpened: /^cluster\.gateway_sidecar\.upstream_cx_total$/,
  streamsFailed: /\.ext_proc\.streams_failed$/,
  streamsReset: /^cluster\.gateway_sidecar\.upstream_rq_tx_reset$/,
};

function sidecarConnectionCounters(stats: Map<string, number>): SidecarConnection {
  const sum = (pattern: RegExp) => [...stats.entries()].filter(([name]) => pattern.test(name)).reduce((total, [, value]) => total + value, 0);
  return {
    connectionsLost: sum(SIDECAR_STATS.connectionsLost),
    connectionsRotated: sum(SIDECAR_STATS.connectionsRotated),
    connectionsOpened: sum(SIDECAR_STATS.connectionsOpened),
    streamsFailed: sum(SIDECAR_STATS.streamsFailed),
    streamsReset: sum(SIDECAR_STATS.streamsReset),
  };
}

export interface GcActivity {
  minorCount: number;
  minorMs: number;
  majorCount: number;
  majorMs: number;
}

/** GC counts and time by kind from the sidecar's Prometheus exposition (prom-client's default metrics). */
export function gcActivity(exposition: string): GcActivity {
  const read = (what: 'sum' | 'count', kind: string) => Number(new RegExp(`^nodejs_gc_duration_seconds_${what}\\{kind="${kind}"\\} (\\S+)$`, 'm').exec(exposition)?.[1] ?? 0);
  return {
    minorCount: read('count', 'minor'),
    minorMs: read('sum', 'minor') * 1000,
    // Incremental marking steps belong to the major collection they prepare.
    majorCount: read('count', 'major'),
    majorMs: (read('sum', 'major') + read('sum', 'incremental')) * 1000,
  };
}

function gcDelta(before: GcActivity, after: GcActivity): GcActivity {
  return {
    minorCount: after.minorCount - before.minorCount,
    minorMs: after.minorMs - before.minorMs,
    majorCount: after.majorCount - before.majorCount,
    majorMs: after.majorMs - before.majorMs,
  };
}

/** One side of a scenario, summed over its rounds. */
interface Totals {
  rounds: LoadResult[];
  envoy: number;
  mock: number;
  sidecar: number;
  ours: number;
  systemTotal: number;
  systemBusy: number;
  steal: number;
  connection: SidecarConnection;
  gc: GcActivity;
}

function emptyTotals(): Totals {
  return {
    rounds: [],
    envoy: 0,
    mock: 0,
    sidecar: 0,
    ours: 0,
    systemTotal: 0,
    systemBusy: 0,
    steal: 0,
    connection: { connectionsLost: 0, connectionsRotated: 0, connectionsOpened: 0, streamsFailed: 0, streamsReset: 0 },
    gc: { minorCount: 0, minorMs: 0, majorCount: 0, majorMs: 0 },
  };
}

function roundGc(gc: GcActivity): GcActivity {
  return { minorCount: gc.minorCount, minorMs: round(gc.minorMs, 1), majorCount: gc.majorCount, majorMs: round(gc.majorMs, 1) };
}

function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function cpuUse(microseconds: number, requests: number, chunksPerRequest?: number): CpuUse {
  const perRequest = requests === 0 ? 0 : microseconds / requests;
  return { perRequestMicros: round(perRequest, 1), ...(chunksPerRequest ? { perChunkMicros: round(perRequest / chunksPerRequest, 2) } : {}) };
}

function completed(load: LoadResult): number {
  return load.kind === 'stream' ? load.ok : load.ok + load.non2xx;
}

function addedFor(scenario: ScenarioSpec, baseline: LoadResult, gateway: LoadResult, chunks: number): Record<string, number> {
  if (baseline.kind === 'stream' && gateway.kind === 'stream') {
    const delta = (pick: (result: StreamRunResult) => LatencySummary, field: 'p50' | 'p99') => round(pick(gateway)[field] - pick(baseline)[field]);
    return {
      first_byte_p50_ms: delta((result) => result.firstByteMs, 'p50'),
      first_token_p50_ms: delta((result) => result.firstTokenMs, 'p50'),
      first_token_p99_ms: delta((result) => result.firstTokenMs, 'p99'),
      total_p50_ms: delta((result) => result.totalMs, 'p50'),
      total_p99_ms: delta((result) => result.totalMs, 'p99'),
      // The issue's definition: (gateway total - baseline total) / chunks.
      per_chunk_ms: round((gateway.totalMs.p50 - baseline.totalMs.p50) / chunks, 4),
      chunk_transit_p50_ms: delta((result) => result.chunkTransitMs, 'p50'),
      chunk_transit_p99_ms: delta((result) => result.chunkTransitMs, 'p99'),
    };
  }
  const base = baseline as RequestRunResult;
  const gate = gateway as RequestRunResult;
  const added: Record<string, number> = {
    p50_ms: round(gate.latencyMs.p50 - base.latencyMs.p50),
    p90_ms: round(gate.latencyMs.p90 - base.latencyMs.p90),
    p99_ms: round(gate.latencyMs.p99 - base.latencyMs.p99),
  };
  if (scenario.kind === 'max') added.throughput_ratio = round(gate.throughputRps / Math.max(1, base.throughputRps), 3);
  return added;
}

export async function runBenchmark(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const settings = MODES[options.mode];
  const startedAt = Date.now();
  const machine = { ...describeMachine(), envoy: envoyVersion() };
  log(`bench (${options.mode}): ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, Envoy ${machine.envoy}`);

  const groups = options.groups ?? selectedGroups(undefined, options.mode);
  const apis = APIS.filter((entry) => groups.includes(entry.group)).map((entry) => entry.api);
  // Before anything runs: a missing Portkey would otherwise fail the run after the chat scenarios.
  if (groups.includes('peers') && installedPortkey() === undefined) throw new Error(`the peers group needs Portkey ${PORTKEY_VERSION} in ${peersDirectory()}: \`make bench\` installs it`);
  // The peers group measures the chat paths through the same gateway and Envoy alone.
  const targetApis = groups.includes('peers') ? [...new Set<Api>([...apis, 'openai', 'anthropic'])] : apis;
  const mock = await startMockProcess();
  const sections = gatewaySections(mock.port);
  let gateway: GatewayHarness | undefined;
  let baseline: BaselineEnvoy | undefined;
  try {
    const scenarios: ScenarioResult[] = [];
    let peakRssMiB = 0;
    let profile: BenchReport['profile'];
    let peers: PeersReport | undefined;
    if (targetApis.length > 0) {
      gateway = await startGateway({ ...sections, ...observabilityOptions(), environment: SIDECAR_ENVIRONMENT, retainLogs: false });
      if (observabilityOptions().passThroughObservabilityMode) log('gateway: sidecar.pass_through_observability_mode on');
      const sidecarPid = findChildByEnvironment(process.pid, 'GATEWAY_CONFIG', gateway.configPath);
      const gatewayEnvoyPid = findChildByCommandLine(process.pid, join(dirname(gateway.configPath), 'envoy.yaml'));
      if (sidecarPid === undefined || gatewayEnvoyPid === undefined) throw new Error('could not find the sidecar or the gateway Envoy process');
      const [listener, admin, metrics] = await Promise.all([freePort(), freePort(), freePort()]);
      baseline = await startBaselineEnvoy(sections, { listener, admin, metrics });
      log(`mock :${mock.port} (pid ${mock.pid}); gateway :${gateway.listenerPort} (envoy pid ${gatewayEnvoyPid}, sidecar pid ${sidecarPid}); baseline envoy :${baseline.listenerPort} (pid ${baseline.pid})`);

      const gatewayHarness = gateway;
      const targets = await buildTargets(gateway, baseline, mock, targetApis);
      await warmUp(targets, mock, settings.globalWarmupSeconds, log);
      for (const scenario of SCENARIOS.filter((entry) => apis.includes(entry.api))) {
        const profile = scenario.kind === 'stream' ? STREAM_PROFILE : JSON_PROFILE;
        await mock.setProfile(profile);
        const ourPids = [process.pid, mock.pid, gatewayEnvoyPid, sidecarPid, baseline.pid];
        const totals: Record<Side, Totals> = { baseline: emptyTotals(), gateway: emptyTotals() };
        // Rounds alternate the order (baseline then gateway, then gateway then baseline), so a burst
        // of noise on this shared machine is not pinned on one side.
        for (let round = 0; round < settings.rounds; round += 1) {
          const order: readonly Side[] = round % 2 === 0 ? ['baseline', 'gateway'] : ['gateway', 'baseline'];
          for (const side of order) {
            const target = targets[side][scenario.api]![scenario.kind === 'stream' ? 'sse' : 'json'];
            const envoyPid = side === 'gateway' ? gatewayEnvoyPid : baseline.pid;
            const read = (): Counters => ({
              envoy: cpuMicros(envoyPid),
              mock: cpuMicros(mock.pid),
              ...(side === 'gateway' ? { sidecar: cpuMicros(sidecarPid) } : {}),
              ours: ourPids.reduce((total, pid) => total + cpuMicros(pid), 0),
              system: systemCpu(),
              at: Date.now(),
            });
            let before: Counters | undefined;
            // Envoy's stats are read outside the measured phase: dumping them costs Envoy's main thread
            // tens of milliseconds of CPU on this machine, which would land in the gateway's latencies
            // and Envoy CPU (and the baseline is not read at all).
            const statsBefore = side === 'gateway' ? await gatewayHarness.envoyStats() : undefined;
            const gcBefore = side === 'gateway' ? gcActivity(await gatewayHarness.sidecarMetrics()) : undefined;
            const load = await runInWorker(jobFor(scenario, target, settings, profile), () => {
              before = read();
            });
            const after = read();
            const sum = totals[side];
            sum.rounds.push(load);
            sum.envoy += after.envoy - before!.envoy;
            sum.mock += after.mock - before!.mock;
            sum.sidecar += (after.sidecar ?? 0) - (before!.sidecar ?? 0);
            sum.ours += after.ours - before!.ours;
            sum.systemTotal += after.system.totalMicros - before!.system.totalMicros;
            sum.systemBusy += after.system.busyMicros - before!.system.busyMicros;
            sum.steal += after.system.stealMicros - before!.system.stealMicros;
            if (side === 'gateway') {
              const [start, end] = [sidecarConnectionCounters(statsBefore!), sidecarConnectionCounters(await gatewayHarness.envoyStats())];
              for (const key of Object.keys(sum.connection) as (keyof SidecarConnection)[]) sum.connection[key] += end[key] - start[key];
              const gc = gcDelta(gcBefore!, gcActivity(await gatewayHarness.sidecarMetrics()));
              for (const key of Object.keys(sum.gc) as (keyof GcActivity)[]) sum.gc[key] += gc[key];
            }
            log(`  ${scenario.id} ${side} (round ${round + 1}/${settings.rounds}): ${describeLoad(load)}`);
          }
        }
        const sides = {} as Record<Side, SideResult>;
        for (const side of ['baseline', 'gateway'] as const) {
          const sum = totals[side];
          const load = mergeRounds(sum.rounds);
          const requests = completed(load);
          const chunks = scenario.kind === 'stream' ? profile.chunks : undefined;
          sides[side] = {
            load,
            envoyCpu: cpuUse(sum.envoy, requests, chunks),
            mockCpu: cpuUse(sum.mock, requests, chunks),
            noise: {
              stealPercent: sum.systemTotal > 0 ? round((sum.steal / sum.systemTotal) * 100, 1) : 0,
              otherProcessesPercent: sum.systemTotal > 0 ? round((Math.max(0, sum.systemBusy - sum.ours) / sum.systemTotal) * 100, 1) : 0,
            },
            ...(side === 'gateway'
              ? { sidecarCpu: cpuUse(sum.sidecar, requests, chunks), sidecarRssMiB: round(memory(sidecarPid).rssBytes / 2 ** 20, 1), sidecarConnection: sum.connection, sidecarGc: roundGc(sum.gc) }
              : {}),
          };
        }
        scenarios.push({ ...scenario, baseline: sides.baseline, gateway: sides.gateway, added: addedFor(scenario, sides.baseline.load, sides.gateway.load, profile.chunks) });
      }
      peakRssMiB = round(memory(sidecarPid).peakRssBytes / 2 ** 20, 1);
      if (groups.includes('peers')) {
        const chat = (side: Side) => Object.fromEntries((['openai', 'anthropic'] as const).map((api) => [api, targets[side][api]!])) as Record<PeerApi, Record<'json' | 'sse', HttpTarget>>;
        peers = await runPeers({
          mock,
          ours: chat('gateway'),
          envoy: chat('baseline'),
          pids: { gatewayEnvoy: gatewayEnvoyPid, sidecar: sidecarPid, baselineEnvoy: baseline.pid },
          ownPids: [process.pid, mock.pid],
          rounds: settings.rounds,
          warmupSeconds: settings.warmupSeconds,
          seconds: settings.seconds,
          globalWarmupSeconds: settings.globalWarmupSeconds,
          jsonProfile: JSON_PROFILE,
          streamProfile: PEERS_STREAM_PROFILE,
          log,
        });
      }
      await gateway.stop();
      gateway = undefined;

      // The profile's workloads are the chat ones.
      if (options.profile && groups.includes('chat')) profile = await profileSidecar(sections, mock, baseline, settings, log);
      await baseline.stop();
      baseline = undefined;
    }

    const featureGroups = groups.filter((group): group is FeatureGroup => (FEATURE_GROUPS as readonly string[]).includes(group));
    const features = featureGroups.length === 0 ? undefined : await runFeatures({ mock, mode: options.mode, groups: featureGroups, providers: sections.providers, environment: SIDECAR_ENVIRONMENT, jsonProfile: JSON_PROFILE, streamProfile: STREAM_PROFILE, log });

    const streamsMemory = groups.includes('memory')
      ? await runStreamsMemory({ mock, ...sections, environment: SIDECAR_ENVIRONMENT, model: MODELS.openai.alias, jsonProfile: JSON_PROFILE, log, ...STREAMS_MEMORY_MODES[options.mode] })
      : undefined;
    const soakMode = SOAK_MODES[options.mode];
    const soak = groups.includes('soak')
      ? await runSoak({ mock, ...sections, environment: SIDECAR_ENVIRONMENT, log, ...soakMode, seconds: options.soakSeconds ?? soakMode.seconds, rate: options.soakRate ?? soakMode.rate })
      : undefined;

    const summary = summarise(scenarios, peakRssMiB);
    const report: BenchReport = {
      schema: 'llm-gateway-bench/1',
      mode: options.mode,
      date: new Date(startedAt).toISOString(),
      machine,
      settings: {
        ...settings,
        jsonProfile: JSON_PROFILE,
        streamProfile: STREAM_PROFILE,
        sidecarLogLevel: SIDECAR_ENVIRONMENT.LOG_LEVEL,
        envoyConcurrency: 1,
        profileRate: PROFILE_RATE,
        method: METHOD,
      },
      groups,
      scenarios,
      summary,
      targets: evaluateTargets(summary),
      ...(profile ? { profile } : {}),
      ...(features ? { features } : {}),
      ...(streamsMemory ? { streamsMemory } : {}),
      ...(soak ? { soak } : {}),
      ...(peers ? { peers, issue17Targets: evaluateIssue17Targets(peers.figures, streamsMemory, readWorkersFile(join(PACKAGE_ROOT, 'bench/results/workers.json'))) } : {}),
      durationSeconds: round((Date.now() - startedAt) / 1000, 1),
    };
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(join(options.outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(options.outDir, 'latest.md'), renderMarkdown(report));
    log(`wrote ${join(options.outDir, 'latest.json')} and latest.md in ${report.durationSeconds} s`);
    return report;
  } finally {
    await gateway?.stop().catch(() => undefined);
    await baseline?.stop().catch(() => undefined);
    await mock.stop();
  }
}

export const METHOD = [
  'Everything runs on this machine over loopback: the mock provider (its own Node process, precomputed answers), the baseline Envoy, the gateway (Envoy + sidecar, started by the e2e test harness), and the load generator (a worker thread of the benchmark process).',
  'Baseline: the same Envoy binary and flags (--concurrency 1), with a bootstrap rendered by the gateway\'s own renderer from the same configuration, minus the ext_proc filters, the buffer filter in front of them, the sidecar cluster and the sidecar health checks; the client names the model cluster in the routing header the sidecar would write. It receives byte for byte the request the gateway sends the provider (captured from the mock), so both runs produce the same upstream traffic.',
  'Gateway: the OpenAI Chat Completions request goes to /v1/chat/completions; "openai" passes through to the mock\'s OpenAI API, "anthropic" is translated to the mock\'s Anthropic Messages API and back. The sidecar logs at info (one line per request), as in production.',
  'Fixed rates: open loop, evenly paced (one request every 1/rate s) over keep-alive connections, latency from send to last byte. Maximum throughput: autocannon, closed loop, keep-alive connections. Streams: concurrent keep-alive clients reading one stream after another.',
  'Before any measurement every path (both APIs, JSON and SSE, baseline and gateway) gets closed-loop traffic, so V8 has optimised the sidecar\'s hot code (it optimises after enough calls, not after enough time). Each measured run then follows a warm-up at its own load on its own connections, and each side is measured in rounds of alternating order (baseline first, then gateway first) whose samples are merged, so a burst of noise on a shared machine does not land on one side only. CPU time is read from /proc/<pid>/stat at the start and end of each measured phase only.',
  'Added latency = gateway percentile - baseline percentile. Added time per chunk = (gateway total - baseline total) / chunks (p50s). Chunk transit = when the client read a chunk minus when the mock wrote it (a monotonic-clock stamp inside the chunk text), so it is the delay each token suffers.',
  'Two cores are shared by the load generator, the mock, Envoy and the sidecar: maximum throughput is the whole system\'s on this machine, not the gateway\'s alone.',
];

function describeLoad(load: LoadResult): string {
  if (load.kind === 'stream') {
    return `${load.ok} streams (${load.errors} failed), first token p50 ${load.firstTokenMs.p50} ms, total p50 ${load.totalMs.p50} ms, chunk transit p50 ${load.chunkTransitMs.p50} ms`;
  }
  return `${load.ok} ok, ${load.non2xx} non-2xx, ${load.errors} errors, ${round(load.throughputRps, 1)} req/s, p50 ${load.latencyMs.p50} ms, p99 ${load.latencyMs.p99} ms`;
}

function jobFor(scenario: ScenarioSpec, target: HttpTarget, settings: ModeSettings, profile: MockProfile): LoadJob {
  const timing = { warmupSeconds: settings.warmupSeconds, seconds: settings.seconds };
  if (scenario.kind === 'paced') return { kind: 'paced', target, rate: scenario.rate!, connections: scenario.connections!, ...timing };
  if (scenario.kind === 'max') return { kind: 'max', target, connections: scenario.connections!, ...timing };
  return { kind: 'stream', target, concurrency: scenario.concurrency!, expectedChunks: profile.chunks, ...timing };
}

type Targets = Record<Side, Partial<Record<Api, Record<'json' | 'sse', HttpTarget>>>>;

/**
 * Before any measurement, every path (both APIs, JSON and SSE, baseline and gateway) gets
 * closed-loop traffic: V8 optimises a function after enough calls, not after enough time,
 * and a sidecar measured after a few hundred requests is measured half-interpreted.
 */
async function warmUp(targets: Targets, mock: MockProcess, seconds: number, log: (line: string) => void, sides: readonly Side[] = ['baseline', 'gateway']): Promise<void> {
  const startedAt = Date.now();
  let requests = 0;
  for (const side of sides) {
    for (const api of Object.keys(targets[side]) as Api[]) {
      for (const mode of ['json', 'sse'] as const) {
        const target = targets[side][api]![mode];
        // Messages clients share most of the chat path's code (the same providers, writers and stages): half the time warms their own part.
        const timing = { warmupSeconds: 0, seconds: groupOf(api) === 'messages' ? seconds / 2 : seconds };
        const job: LoadJob = mode === 'json' ? { kind: 'max', target, connections: 8, ...timing } : { kind: 'stream', target, concurrency: 8, expectedChunks: STREAM_PROFILE.chunks, ...timing };
        await mock.setProfile(mode === 'json' ? JSON_PROFILE : STREAM_PROFILE);
        requests += completed(await runInWorker(job, () => undefined));
      }
    }
  }
  log(`warm-up: ${requests} requests through every path in ${round((Date.now() - startedAt) / 1000, 1)} s`);
}

/**
 * The gateway's client requests, checked; then the baseline's, built from what the gateway
 * actually sent the mock (same body, same provider headers), and checked too. One API at a
 * time, so the mock's kept request is that API's (two APIs may reach the same provider API).
 */
async function buildTargets(gateway: GatewayHarness, baseline: BaselineEnvoy, mock: MockProcess, apis: readonly Api[]): Promise<Targets> {
  await mock.setProfile(JSON_PROFILE);
  const targets: Targets = { gateway: {}, baseline: {} };
  for (const api of apis) {
    const client = clientRequest(api);
    const messages = groupOf(api) === 'messages';
    const gatewayTargets = {
      json: { host: '127.0.0.1', port: gateway.listenerPort, path: client.path, headers: client.headers, body: clientBody(api, false) },
      sse: { host: '127.0.0.1', port: gateway.listenerPort, path: client.path, headers: client.headers, body: clientBody(api, true) },
    };
    targets.gateway[api] = gatewayTargets;
    await mock.resetLast();
    await check(gatewayTargets.json, (status, body) => {
      if (status !== 200) return `status ${status}`;
      if (messages) {
        const parsed = JSON.parse(body) as { type?: string; content?: { type?: string; text?: string }[] };
        return parsed.type === 'message' && (parsed.content?.[0]?.text?.length ?? 0) >= JSON_PROFILE.responseBytes - 1 ? undefined : 'not an Anthropic message';
      }
      const parsed = JSON.parse(body) as { object?: string; choices?: { message?: { content?: string } }[] };
      return parsed.object === 'chat.completion' && (parsed.choices?.[0]?.message?.content?.length ?? 0) >= JSON_PROFILE.responseBytes - 1 ? undefined : 'not an OpenAI chat completion';
    });
    await check(gatewayTargets.sse, (status, body) =>
      status !== 200
        ? `status ${status}`
        : stampCount(body) !== STREAM_PROFILE.chunks
          ? `${stampCount(body)} chunks`
          : body.includes(messages ? 'event: message_stop' : 'data: [DONE]')
            ? undefined
            : messages
              ? 'no message_stop'
              : 'no [DONE]',
    );
    const last = await mock.last();
    const providerApi = MODELS[api].provider === 'mock_anthropic' ? 'anthropic' : 'openai';
    const baselineTargets = {} as Record<'json' | 'sse', HttpTarget>;
    for (const mode of ['json', 'sse'] as const) {
      const sent = last[`${providerApi}_${mode}`];
      if (sent === undefined) throw new Error(`the mock never received a ${providerApi} ${mode} request from the gateway for ${api}`);
      const headers = Object.fromEntries(Object.entries(sent.headers).filter(([name]) => !NOT_REPEATED.test(name)));
      headers[BASELINE_ROUTE_HEADER] = baseline.clusterFor(MODELS[api].alias);
      baselineTargets[mode] = { host: '127.0.0.1', port: baseline.listenerPort, path: sent.path, headers, body: sent.body };
    }
    targets.baseline[api] = baselineTargets;
    await check(baselineTargets.json, (status) => (status === 200 ? undefined : `status ${status}`));
    await check(baselineTargets.sse, (status, body) => (status !== 200 ? `status ${status}` : stampCount(body) !== STREAM_PROFILE.chunks ? `${stampCount(body)} chunks` : undefined));
  }
  return targets;
}

/**
 * A second gateway whose sidecar runs under `node --cpu-prof` (through NODE_OPTIONS, the
 * one thing the harness lets a caller add), driven through one window per workload.
 */
async function profileSidecar(
  sections: ReturnType<typeof gatewaySections>,
  mock: MockProcess,
  baseline: BaselineEnvoy,
  settings: ModeSettings,
  log: (line: string) => void,
): Promise<NonNullable<BenchReport['profile']>> {
  const directory = mkdtempSync(join(tmpdir(), 'llm-gateway-bench-profile-'));
  const intervalMicros = 200;
  // Node 20 refuses --cpu-prof in NODE_OPTIONS; --import of a hook that drives the inspector's profiler is allowed.
  const hook = pathToFileURL(fileURLToPath(new URL('./cpu-profile-hook.js', import.meta.url))).href;
  const profiled = await startGateway({
    ...sections,
    environment: { ...SIDECAR_ENVIRONMENT, NODE_OPTIONS: `--import=${hook}`, BENCH_CPU_PROFILE_DIR: directory, BENCH_CPU_PROFILE_INTERVAL_US: String(intervalMicros) },
    retainLogs: false,
  });
  const windows: ProfileWindow[] = [];
  try {
    const targets = await buildTargets(profiled, baseline, mock, CHAT_APIS.map((entry) => entry.api));
    await warmUp(targets, mock, settings.globalWarmupSeconds * 0.75, log, ['gateway']);
    const workloads: { id: string; description: string; api: Api; stream: boolean }[] = [
      { id: 'openai-json', description: `OpenAI pass-through, JSON, ${PROFILE_RATE} req/s`, api: 'openai', stream: false },
      { id: 'anthropic-json', description: `Anthropic translation, JSON, ${PROFILE_RATE} req/s`, api: 'anthropic', stream: false },
      { id: 'openai-sse', description: `OpenAI pass-through, SSE, ${STREAM_PROFILE.chunks} chunks, ${STREAM_CONCURRENCY} concurrent streams`, api: 'openai', stream: true },
      { id: 'anthropic-sse', description: `Anthropic translation, SSE, ${STREAM_PROFILE.chunks} chunks, ${STREAM_CONCURRENCY} concurrent streams`, api: 'anthropic', stream: true },
    ];
    for (const workload of workloads) {
      const target = targets.gateway[workload.api]![workload.stream ? 'sse' : 'json'];
      await mock.setProfile(workload.stream ? STREAM_PROFILE : JSON_PROFILE);
      const timing = { warmupSeconds: settings.warmupSeconds, seconds: settings.profileSeconds };
      const job: LoadJob = workload.stream
        ? { kind: 'stream', target, concurrency: STREAM_CONCURRENCY, expectedChunks: STREAM_PROFILE.chunks, ...timing }
        : { kind: 'paced', target, rate: PROFILE_RATE, connections: 16, ...timing };
      let from = 0;
      const load = mergeRounds([await runInWorker(job, () => {
        from = monotonicMicros();
      })]);
      const to = monotonicMicros();
      const requests = completed(load);
      windows.push({ id: workload.id, description: workload.description, fromMicros: from, toMicros: to, requests, chunks: workload.stream ? requests * STREAM_PROFILE.chunks : 0 });
      log(`  profile ${workload.id}: ${describeLoad(load)}`);
    }
  } finally {
    await profiled.stop();
  }
  const file = readdirSync(directory).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`the profiled sidecar wrote no .cpuprofile in ${directory}`);
  const cpuProfile = JSON.parse(readFileSync(join(directory, file), 'utf8')) as CpuProfile;
  rmSync(directory, { recursive: true, force: true });
  for (const window of windows) {
    if (window.fromMicros < cpuProfile.startTime || window.toMicros > cpuProfile.endTime + 5_000_000) {
      throw new Error('profile clock and benchmark clock disagree: windows fall outside the profile');
    }
  }
  return {
    intervalMicros,
    windows: analyseProfile(cpuProfile, windows),
    note: `Sampled with V8's CPU profiler (the inspector's Profiler domain, as node --cpu-prof does; interval ${intervalMicros} µs) in a separate gateway run after its own warm-up; profiling slows the sidecar a little, so read shares rather than absolute times, and the /proc CPU figures for cost.`,
  };
}

function summarise(scenarios: ScenarioResult[], peakRssMiB: number): BenchReport['summary'] {
  const summary: BenchReport['summary'] = {};
  const find = (id: string) => scenarios.find((scenario) => scenario.id === id);
  for (const { api } of APIS) {
    const mine = scenarios.filter((scenario) => scenario.api === api);
    if (mine.length === 0) continue;
    const figures: Record<string, number> = {};
    for (const rate of [100, 250, 500]) {
      const paced = find(`${api}-json-${rate}rps`);
      if (paced === undefined) continue;
      figures[`added_p50_ms_at_${rate}rps`] = paced.added.p50_ms!;
      figures[`added_p90_ms_at_${rate}rps`] = paced.added.p90_ms!;
      figures[`added_p99_ms_at_${rate}rps`] = paced.added.p99_ms!;
    }
    const at500 = find(`${api}-json-500rps`);
    const max = find(`${api}-json-max`);
    const stream = find(`${api}-sse-20`);
    if (max !== undefined) {
      figures.max_rps_baseline = round((max.baseline.load as RequestRunResult).throughputRps, 0);
      figures.max_rps_gateway = round((max.gateway.load as RequestRunResult).throughputRps, 0);
      figures.sidecar_cpu_us_per_request_max = max.gateway.sidecarCpu!.perRequestMicros;
    }
    if (at500 !== undefined) {
      figures.achieved_rps_gateway_at_500rps = round((at500.gateway.load as RequestRunResult).throughputRps, 0);
      figures.sidecar_cpu_us_per_request_500rps = at500.gateway.sidecarCpu!.perRequestMicros;
      figures.envoy_cpu_us_per_request_baseline_500rps = at500.baseline.envoyCpu.perRequestMicros;
      figures.envoy_cpu_us_per_request_gateway_500rps = at500.gateway.envoyCpu.perRequestMicros;
    }
    figures.failed_requests_gateway = mine.reduce((total, scenario) => total + (scenario.gateway.load.kind === 'stream' ? scenario.gateway.load.errors : scenario.gateway.load.non2xx + scenario.gateway.load.errors), 0);
    figures.sidecar_connections_lost = mine.reduce((total, scenario) => total + (scenario.gateway.sidecarConnection?.connectionsLost ?? 0), 0);
    if (stream !== undefined) {
      const streamGateway = stream.gateway.load as StreamRunResult;
      figures.added_first_token_p50_ms = stream.added.first_token_p50_ms!;
      figures.added_stream_total_p50_ms = stream.added.total_p50_ms!;
      figures.added_per_chunk_ms = stream.added.per_chunk_ms!;
      figures.added_chunk_transit_p50_ms = stream.added.chunk_transit_p50_ms!;
      figures.added_chunk_transit_p99_ms = stream.added.chunk_transit_p99_ms!;
      figures.stream_chunks = round(streamGateway.chunksPerStream, 1);
      figures.sidecar_cpu_us_per_stream = stream.gateway.sidecarCpu!.perRequestMicros;
      // What a stream costs beyond a JSON request, per chunk.
      if (at500 !== undefined) figures.sidecar_cpu_us_per_chunk = round((stream.gateway.sidecarCpu!.perRequestMicros - at500.gateway.sidecarCpu!.perRequestMicros) / STREAM_PROFILE.chunks, 1);
    }
    figures.sidecar_rss_mib = Math.max(...mine.map((scenario) => scenario.gateway.sidecarRssMiB ?? 0));
    figures.sidecar_peak_rss_mib = peakRssMiB;
    summary[api] = figures;
  }
  return summary;
}

function evaluateTargets(summary: BenchReport['summary']): Target[] {
  const targets: Target[] = [];
  for (const { api, label } of APIS) {
    const s = summary[api];
    if (s === undefined) continue;
    if (s.added_p50_ms_at_500rps !== undefined) {
      targets.push(
        { name: `${label}: added p50 at 500 req/s`, limit: '<= 1 ms', measured: `${s.added_p50_ms_at_500rps} ms`, met: s.added_p50_ms_at_500rps <= 1 },
        { name: `${label}: added p99 at 500 req/s`, limit: '<= 3 ms', measured: `${s.added_p99_ms_at_500rps} ms`, met: s.added_p99_ms_at_500rps! <= 3 },
      );
    }
    if (s.added_per_chunk_ms !== undefined) {
      targets.push(
        { name: `${label}: added per streamed chunk, (total_gw - total_base) / chunks`, limit: '<= 0.1 ms', measured: `${s.added_per_chunk_ms} ms`, met: s.added_per_chunk_ms <= 0.1 },
        { name: `${label}: added transit per chunk (p50), each chunk's own delay`, limit: '<= 0.1 ms', measured: `${s.added_chunk_transit_p50_ms} ms`, met: s.added_chunk_transit_p50_ms! <= 0.1 },
      );
    }
  }
  return targets;
}

function parseArguments(argv: string[]): BenchOptions {
  const out = argv.indexOf('--out');
  const mode = argv.includes('--smoke') ? 'smoke' : 'full';
  return {
    mode,
    outDir: out === -1 ? join(PACKAGE_ROOT, 'bench/results') : resolve(argv[out + 1] ?? '.'),
    profile: !argv.includes('--no-profile'),
    groups: selectedGroups(argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : process.env.BENCH_ONLY, mode),
    soakSeconds: positiveNumber('BENCH_SOAK_SECONDS', process.env.BENCH_SOAK_SECONDS),
    soakRate: positiveNumber('BENCH_SOAK_RATE', process.env.BENCH_SOAK_RATE),
  };
}

/** A positive number from an environment variable, or undefined when unset; anything else is an error. */
export function positiveNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`${name}=${value}: expected a positive number`);
  return number;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = parseArguments(process.argv.slice(2));
  if (!existsSync(options.outDir)) mkdirSync(options.outDir, { recursive: true });
  runBenchmark(options).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
