import { findChildByCommandLine, findChildByEnvironment, cpuMicros, systemCpu } from './proc-stats.js';
import { dirname, join } from 'node:path';
import { startGateway, type GatewayHarness } from '../test/support/gateway-harness.js';
import { BENCH_GUARDRAILS } from './guardrails.js';
import { measureInProcess, type InProcessFigures } from './in-process.js';
import { inLetters, mergeRounds, runInWorker, type HttpTarget, type LoadJob, type LoadResult, type RequestRunResult } from './load.js';
import type { MockProfile } from './mock-upstream.js';
import { prosePrompt } from './prompts.js';
import type { MockProcess } from './run.js';

/**
 * The cache, guardrail and routing scenarios of `make bench` (issues 14, 15 and 16). Each
 * compares, through one gateway (Envoy + sidecar) in front of the mock provider, a model
 * with the feature against the same model without it (the reference, first variant): the
 * difference is what the feature adds. Variants run in rounds of rotating order, whose
 * samples are merged, as the chat scenarios' sides do. Figures the network cannot isolate
 * (memory per 10,000 entries, an index search, a tokenizer count, the guardrails' own time)
 * come from bench/in-process.ts.
 */
export const FEATURE_GROUPS = ['cache', 'guardrails', 'routing'] as const;
export type FeatureGroup = (typeof FEATURE_GROUPS)[number];

export interface FeatureSettings {
  rounds: number;
  /** Paced load through every variant before anything is measured (V8 optimises after enough calls). */
  globalWarmupSeconds: number;
  warmupSeconds: number;
  seconds: number;
}

export const FEATURE_MODES: Record<'full' | 'smoke', FeatureSettings> = {
  full: { rounds: 2, globalWarmupSeconds: 0.5, warmupSeconds: 0.5, seconds: 2 },
  smoke: { rounds: 1, globalWarmupSeconds: 0.2, warmupSeconds: 0.1, seconds: 0.4 },
};

/** The paced rate of the comparisons (64 KB prompts: half of it). */
export const FEATURE_RATE = 100;
/** Routing with 64 KB prompts: each is counted by the tokenizer (tens of ms), so a rate its worker sustains. */
export const ROUTING_64K_RATE = 10;

interface VariantSpec {
  id: string;
  title: string;
  target: HttpTarget;
  /** What the answer must say, checked once before the runs: a response header and its value (a cache hit, a route's rule). */
  expectHeader?: [string, string];
}

interface ComparisonSpec {
  id: string;
  group: FeatureGroup;
  title: string;
  load: { kind: 'paced'; rate: number } | { kind: 'max'; connections: number } | { kind: 'stream'; concurrency: number };
  variants: VariantSpec[];
}

export interface VariantResult {
  id: string;
  title: string;
  load: LoadResult;
  /** Sidecar and Envoy CPU (user + system) in the measured phases, per completed request, µs. */
  sidecarCpuMicros: number;
  envoyCpuMicros: number;
  /** Cache lookups by result during the measured phases (from the sidecar's metrics), for cache variants. */
  cacheLookups?: Record<string, number>;
  /** Against the comparison's reference (its first variant), ms; streams: total, first token and transit p50. */
  added?: Record<string, number>;
}

export interface ComparisonResult {
  id: string;
  group: FeatureGroup;
  title: string;
  kind: 'paced' | 'max' | 'stream';
  rate?: number;
  reference: string;
  variants: VariantResult[];
  noise: { stealPercent: number; otherProcessesPercent: number };
}

/** One reported figure; `target` and `met` where the issue sets a limit. */
export interface FeatureFigure {
  group: FeatureGroup;
  name: string;
  measured: string;
  target?: string;
  met?: boolean;
}

export interface FeaturesReport {
  settings: FeatureSettings & { rate: number; streamProfile: MockProfile; jsonProfile: MockProfile };
  comparisons: ComparisonResult[];
  inProcess: InProcessFigures;
  figures: FeatureFigure[];
  method: string[];
}

export interface FeaturesOptions {
  mock: MockProcess;
  mode: 'full' | 'smoke';
  groups: FeatureGroup[];
  /** providers section of the configuration (the mock's OpenAI and Anthropic APIs). */
  providers: Record<string, unknown>;
  environment: Record<string, string>;
  jsonProfile: MockProfile;
  streamProfile: MockProfile;
  log: (line: string) => void;
}

const SYSTEM = 'You are a concise assistant for an engineering team. Answer in plain English.';
const QUESTION =
  'Summarise the trade-offs of caching model answers in a gateway: hit rate, staleness, tenant isolation, and what a near-duplicate question should get. Keep it short.';
/** Replaced per request by the load generator (HttpTarget.vary). */
const VARY = '{{VARY}}';

/** Models and routes of the features gateway. Every target is the mock's OpenAI API with gpt-4o-mini where a comparison needs identical upstream traffic. */
function featureSections(providers: Record<string, unknown>) {
  const mini = { provider: 'mock_openai', model: 'gpt-4o-mini' };
  const rules = (withCount: boolean) => [
    { name: 'code', when: { last_user_message: { keywords: ['python', 'typescript', 'stack trace', 'segfault'] } }, model: 'bench-route-large' },
    { name: 'sql', when: { last_user_message: { regex: '\\bselect\\b[^;]+\\bfrom\\b' } }, model: 'bench-route-large' },
    { name: 'legal', when: { system_prompt: { keywords: ['contract', 'lawyer', 'liability'] } }, model: 'bench-route-large' },
    { name: 'tools', when: { has_tools: true }, model: 'bench-route-large' },
    { name: 'images', when: { has_images: true }, model: 'bench-route-large' },
    { name: 'json', when: { has_json_schema: true }, model: 'bench-route-large' },
    { name: 'low-priority', when: { headers: { 'x-priority': 'low' } }, model: 'bench-route-small' },
    { name: 'research', when: { headers: { 'x-team': ['research', 'legal'] } }, model: 'bench-route-large' },
    // Light tasks to the cheapest model: a prompt whose bytes exceed 200 may still be 200 tokens, so the tokenizer is asked.
    ...(withCount ? [{ name: 'light', when: { prompt_tokens: { max: 200 } }, model: 'bench-route-small' }] : []),
    { name: 'general', cheapest: ['bench-route-small', 'bench-route-mid', 'bench-route-large'], min_tier: 2 },
  ];
  return {
    providers,
    models: {
      'bench-openai': mini,
      'bench-cache': { ...mini, cache: { ttl: '10m' } },
      'bench-semantic': { ...mini, cache: { ttl: '10m', semantic: { embeddings_model: 'bench-embed', threshold: 0.9 } } },
      'bench-embed': { provider: 'mock_openai', model: 'text-embedding-3-small' },
      'bench-guarded': { ...mini, guardrails: ['pii', 'injection', 'deny'] },
      'bench-route-small': { provider: 'mock_openai', model: 'gpt-4.1-nano', tier: 1 },
      'bench-route-mid': { ...mini, tier: 2 },
      'bench-route-large': { provider: 'mock_openai', model: 'gpt-4o', tier: 3 },
    },
    routes: {
      // Ten rules: nine that a long prose prompt does not match (the prompt_tokens one has it counted), then the cheapest of three tiers.
      'bench-route': { rules: rules(true), default: 'bench-route-small' },
      // The same route without the rule that needs the tokenizer: the difference is the count.
      'bench-route-nocount': { rules: rules(false), default: 'bench-route-small' },
    },
    guardrails: BENCH_GUARDRAILS,
  };
}

function chat(port: number, model: string, user: string, options: { stream?: boolean; temperature?: number } = {}): HttpTarget {
  const body = JSON.stringify({
    model,
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: user },
    ],
    max_tokens: 256,
    temperature: options.temperature ?? 0.7,
    ...(options.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
  return { host: '127.0.0.1', port, path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body, ...(body.includes(VARY) ? { vary: VARY } : {}) };
}

function comparisons(port: number, groups: FeatureGroup[]): ComparisonSpec[] {
  const varied = `Request ${VARY}: ${QUESTION}`;
  const fixed = `Request fixed: ${QUESTION}`;
  const list: ComparisonSpec[] = [];
  if (groups.includes('cache')) {
    const embedding = JSON.stringify({ model: 'bench-embed', input: varied, encoding_format: 'float' });
    list.push(
      {
        id: 'cache-latency',
        group: 'cache',
        title: `Response cache, JSON, ${FEATURE_RATE} req/s (temperature 0)`,
        load: { kind: 'paced', rate: FEATURE_RATE },
        variants: [
          { id: 'uncached', title: 'model without cache (every prompt new)', target: chat(port, 'bench-openai', varied, { temperature: 0 }) },
          { id: 'miss', title: 'cache miss (every prompt new: key, lookup, store)', target: chat(port, 'bench-cache', varied, { temperature: 0 }), expectHeader: ['x-gateway-cache', 'miss'] },
          { id: 'exact-hit', title: 'exact hit (the same prompt)', target: chat(port, 'bench-cache', fixed, { temperature: 0 }), expectHeader: ['x-gateway-cache', 'hit'] },
          { id: 'semantic-hit', title: 'semantic hit (a near prompt; embedding call included)', target: chat(port, 'bench-semantic', varied, { temperature: 0 }), expectHeader: ['x-gateway-cache', 'semantic-hit'] },
          {
            id: 'embedding',
            title: 'the embedding call alone (POST /v1/embeddings through the gateway, as the semantic stage makes it)',
            target: { host: '127.0.0.1', port, path: '/v1/embeddings', headers: { 'content-type': 'application/json' }, body: embedding, vary: VARY },
          },
        ],
      },
      {
        id: 'cache-throughput',
        group: 'cache',
        title: 'Response cache, JSON, maximum throughput (32 connections)',
        load: { kind: 'max', connections: 32 },
        variants: [
          { id: 'uncached', title: 'model without cache', target: chat(port, 'bench-openai', fixed, { temperature: 0 }) },
          { id: 'exact-hit', title: 'exact hits', target: chat(port, 'bench-cache', fixed, { temperature: 0 }), expectHeader: ['x-gateway-cache', 'hit'] },
        ],
      },
    );
  }
  if (groups.includes('guardrails')) {
    for (const [size, bytes, rate] of [['4k', 4096, FEATURE_RATE], ['64k', 65536, FEATURE_RATE / 2]] as const) {
      const prompt = prosePrompt(bytes);
      list.push({
        id: `guardrails-${size}`,
        group: 'guardrails',
        title: `Guardrails (every PII detector masking, injection patterns, output deny list), ${bytes / 1024} KB prompt, JSON, ${rate} req/s`,
        load: { kind: 'paced', rate },
        variants: [
          { id: 'plain', title: 'model without guardrails', target: chat(port, 'bench-openai', prompt) },
          { id: 'guarded', title: 'model with guardrails', target: chat(port, 'bench-guarded', prompt) },
        ],
      });
    }
    // An address in the prompt is masked, so the answer's stream goes through the restoring filter as well as the deny list.
    const streamed = `Reply to ops@example.com. ${QUESTION}`;
    list.push({
      id: 'guardrails-stream',
      group: 'guardrails',
      title: 'Guardrails, SSE, 20 chunks, 4 concurrent streams (output policies: restore + deny list)',
      load: { kind: 'stream', concurrency: 4 },
      variants: [
        { id: 'plain', title: 'model without guardrails', target: chat(port, 'bench-openai', streamed, { stream: true }) },
        { id: 'guarded', title: 'model with guardrails', target: chat(port, 'bench-guarded', streamed, { stream: true }) },
      ],
    });
  }
  if (groups.includes('routing')) {
    // The tokenizer counts a 64 KB prompt in tens of milliseconds on its one worker thread: a rate it can keep up with, so the figure is the count, not a queue.
    for (const [size, bytes, rate] of [['4k', 4096, FEATURE_RATE], ['64k', 65536, ROUTING_64K_RATE]] as const) {
      const prompt = prosePrompt(bytes);
      list.push({
        id: `routing-${size}`,
        group: 'routing',
        title: `Route with 10 rules and the cheapest of three tiers, ${bytes / 1024} KB prompt, JSON, ${rate} req/s`,
        load: { kind: 'paced', rate },
        variants: [
          { id: 'plain', title: 'plain model alias (gpt-4o-mini)', target: chat(port, 'bench-openai', prompt) },
          { id: 'route', title: 'route, 10 rules (one counts prompt tokens), cheapest with min_tier', target: chat(port, 'bench-route', prompt), expectHeader: ['x-gateway-route-rule', 'general'] },
          { id: 'route-nocount', title: 'the same route without the prompt_tokens rule (9 rules)', target: chat(port, 'bench-route-nocount', prompt), expectHeader: ['x-gateway-route-rule', 'general'] },
        ],
      });
    }
  }
  return list;
}

async function send(target: HttpTarget, body = target.vary === undefined ? target.body : target.body.replaceAll(target.vary, 'seed')): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(`http://${target.host}:${target.port}${target.path}`, { method: 'POST', headers: target.headers, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Fills the cache for the hit variants, then checks one answer of every variant (a wrong answer stops the benchmark instead of being timed). */
async function prepare(specs: ComparisonSpec[]): Promise<void> {
  for (const spec of specs) {
    for (const variant of spec.variants) {
      // A first request stores the answer a hit variant then gets (the seed of the near prompts, for the semantic one).
      if (variant.id.endsWith('hit')) await send(variant.target);
      const body = variant.target.vary === undefined ? variant.target.body : variant.target.body.replaceAll(variant.target.vary, `check-${inLetters(Date.now())}`);
      const answer = await send(variant.target, body);
      if (answer.status !== 200) throw new Error(`feature check ${spec.id}/${variant.id}: status ${answer.status}\n${answer.text.slice(0, 500)}`);
      if (variant.expectHeader !== undefined) {
        const [name, value] = variant.expectHeader;
        if (answer.headers.get(name) !== value) throw new Error(`feature check ${spec.id}/${variant.id}: ${name} is ${answer.headers.get(name)}, expected ${value}`);
      }
    }
  }
}

function job(spec: ComparisonSpec, target: HttpTarget, warmupSeconds: number, seconds: number, chunks: number): LoadJob {
  const timing = { warmupSeconds, seconds };
  if (spec.load.kind === 'paced') return { kind: 'paced', target, rate: spec.load.rate, connections: 16, ...timing };
  if (spec.load.kind === 'max') return { kind: 'max', target, connections: spec.load.connections, ...timing };
  return { kind: 'stream', target, concurrency: spec.load.concurrency, expectedChunks: chunks, ...timing };
}

/** Cache lookups by result, summed over models, from the sidecar's Prometheus exposition. */
function cacheLookups(exposition: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const match of exposition.matchAll(/^llm_gateway_cache_lookups_total\{[^}]*result="([^"]+)"[^}]*\} (\S+)$/gm)) totals[match[1]!] = (totals[match[1]!] ?? 0) + Number(match[2]);
  return totals;
}

function completed(load: LoadResult): number {
  return load.kind === 'stream' ? load.ok : load.ok + load.non2xx;
}

function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function added(reference: LoadResult, variant: LoadResult, chunks: number): Record<string, number> {
  if (reference.kind === 'stream' && variant.kind === 'stream') {
    return {
      first_token_p50_ms: round(variant.firstTokenMs.p50 - reference.firstTokenMs.p50),
      total_p50_ms: round(variant.totalMs.p50 - reference.totalMs.p50),
      total_p99_ms: round(variant.totalMs.p99 - reference.totalMs.p99),
      per_chunk_ms: round((variant.totalMs.p50 - reference.totalMs.p50) / chunks, 4),
      chunk_transit_p50_ms: round(variant.chunkTransitMs.p50 - reference.chunkTransitMs.p50),
      chunk_transit_p99_ms: round(variant.chunkTransitMs.p99 - reference.chunkTransitMs.p99),
    };
  }
  const base = reference as RequestRunResult;
  const mine = variant as RequestRunResult;
  return {
    p50_ms: round(mine.latencyMs.p50 - base.latencyMs.p50),
    p90_ms: round(mine.latencyMs.p90 - base.latencyMs.p90),
    p99_ms: round(mine.latencyMs.p99 - base.latencyMs.p99),
    ...(mine.kind === 'max' ? { throughput_ratio: round(mine.throughputRps / Math.max(1, base.throughputRps)) } : {}),
  };
}

interface Pids {
  sidecar: number;
  envoy: number;
  ours: number[];
}

async function runComparison(spec: ComparisonSpec, gateway: GatewayHarness, pids: Pids, settings: FeatureSettings, chunks: number, log: (line: string) => void): Promise<ComparisonResult> {
  const sums = new Map(spec.variants.map((variant) => [variant.id, { rounds: [] as LoadResult[], sidecar: 0, envoy: 0, lookups: {} as Record<string, number> }]));
  let systemTotal = 0;
  let systemBusy = 0;
  let steal = 0;
  let ours = 0;
  for (let round = 0; round < settings.rounds; round++) {
    // Rotating order: each variant runs first, last and in between across rounds.
    const order = spec.variants.map((_, index) => spec.variants[(index + round) % spec.variants.length]!);
    for (const variant of order) {
      const sum = sums.get(variant.id)!;
      const lookupsBefore = spec.group === 'cache' ? cacheLookups(await gateway.sidecarMetrics()) : undefined;
      let before: { sidecar: number; envoy: number; ours: number; system: ReturnType<typeof systemCpu> } | undefined;
      const read = () => ({ sidecar: cpuMicros(pids.sidecar), envoy: cpuMicros(pids.envoy), ours: pids.ours.reduce((total, pid) => total + cpuMicros(pid), 0), system: systemCpu() });
      const load = await runInWorker(job(spec, variant.target, settings.warmupSeconds, settings.seconds, chunks), () => {
        before = read();
      });
      const after = read();
      sum.rounds.push(load);
      sum.sidecar += after.sidecar - before!.sidecar;
      sum.envoy += after.envoy - before!.envoy;
      ours += after.ours - before!.ours;
      systemTotal += after.system.totalMicros - before!.system.totalMicros;
      systemBusy += after.system.busyMicros - before!.system.busyMicros;
      steal += after.system.stealMicros - before!.system.stealMicros;
      if (lookupsBefore !== undefined) {
        // Read after the measured phase, but the warm-up's lookups are in the difference too: report shares, not counts.
        const lookupsAfter = cacheLookups(await gateway.sidecarMetrics());
        for (const [result, count] of Object.entries(lookupsAfter)) sum.lookups[result] = (sum.lookups[result] ?? 0) + count - (lookupsBefore[result] ?? 0);
      }
      log(`  ${spec.id} ${variant.id} (round ${round + 1}/${settings.rounds}): ${describe(load)}`);
    }
  }
  const variants: VariantResult[] = spec.variants.map((variant) => {
    const sum = sums.get(variant.id)!;
    const load = mergeRounds(sum.rounds);
    const requests = Math.max(1, completed(load));
    return {
      id: variant.id,
      title: variant.title,
      load,
      sidecarCpuMicros: round(sum.sidecar / requests, 1),
      envoyCpuMicros: round(sum.envoy / requests, 1),
      ...(spec.group === 'cache' ? { cacheLookups: sum.lookups } : {}),
    };
  });
  const reference = variants[0]!;
  for (const variant of variants.slice(1)) variant.added = added(reference.load, variant.load, chunks);
  return {
    id: spec.id,
    group: spec.group,
    title: spec.title,
    kind: spec.load.kind,
    ...(spec.load.kind === 'paced' ? { rate: spec.load.rate } : {}),
    reference: reference.id,
    variants,
    noise: {
      stealPercent: systemTotal > 0 ? round((steal / systemTotal) * 100, 1) : 0,
      otherProcessesPercent: systemTotal > 0 ? round((Math.max(0, systemBusy - ours) / systemTotal) * 100, 1) : 0,
    },
  };
}

function describe(load: LoadResult): string {
  if (load.kind === 'stream') return `${load.ok} streams (${load.errors} failed), total p50 ${load.totalMs.p50} ms, chunk transit p50 ${load.chunkTransitMs.p50} ms`;
  return `${load.ok} ok, ${load.non2xx} non-2xx, ${load.errors} errors, ${round(load.throughputRps, 1)} req/s, p50 ${load.latencyMs.p50} ms, p99 ${load.latencyMs.p99} ms`;
}

/** Starts the features gateway, runs the selected groups' comparisons and the in-process measurements. */
export async function runFeatures(options: FeaturesOptions): Promise<FeaturesReport> {
  const settings = FEATURE_MODES[options.mode];
  const sections = featureSections(options.providers);
  const gateway = await startGateway({ ...sections, environment: options.environment, retainLogs: false });
  const comparisonsRun: ComparisonResult[] = [];
  try {
    const sidecar = findChildByEnvironment(process.pid, 'GATEWAY_CONFIG', gateway.configPath);
    const envoy = findChildByCommandLine(process.pid, join(dirname(gateway.configPath), 'envoy.yaml'));
    if (sidecar === undefined || envoy === undefined) throw new Error('could not find the features gateway\'s sidecar or Envoy process');
    const pids: Pids = { sidecar, envoy, ours: [process.pid, options.mock.pid, sidecar, envoy] };
    options.log(`features gateway :${gateway.listenerPort} (envoy pid ${envoy}, sidecar pid ${sidecar}): ${options.groups.join(', ')}`);
    const specs = comparisons(gateway.listenerPort, options.groups);
    await options.mock.setProfile(options.jsonProfile);
    await prepare(specs.filter((spec) => spec.load.kind !== 'stream'));
    await options.mock.setProfile(options.streamProfile);
    await prepare(specs.filter((spec) => spec.load.kind === 'stream'));
    // Every variant's code path gets paced traffic before anything is measured.
    const startedAt = Date.now();
    for (const spec of specs) {
      await options.mock.setProfile(spec.load.kind === 'stream' ? options.streamProfile : options.jsonProfile);
      for (const variant of spec.variants) {
        const warm: LoadJob =
          spec.load.kind === 'stream'
            ? { kind: 'stream', target: variant.target, concurrency: 4, expectedChunks: options.streamProfile.chunks, warmupSeconds: 0, seconds: settings.globalWarmupSeconds }
            : { kind: 'paced', target: variant.target, rate: spec.load.kind === 'paced' ? spec.load.rate * 2 : 200, connections: 16, warmupSeconds: 0, seconds: settings.globalWarmupSeconds };
        await runInWorker(warm, () => undefined);
      }
    }
    options.log(`features warm-up: ${round((Date.now() - startedAt) / 1000, 1)} s`);
    for (const spec of specs) {
      await options.mock.setProfile(spec.load.kind === 'stream' ? options.streamProfile : options.jsonProfile);
      comparisonsRun.push(await runComparison(spec, gateway, pids, settings, options.streamProfile.chunks, options.log));
    }
  } finally {
    await gateway.stop();
  }
  const inProcess = await measureInProcess(options.mode === 'smoke');
  options.log(`in-process: ${JSON.stringify(inProcess)}`);
  return {
    settings: { ...settings, rate: FEATURE_RATE, streamProfile: options.streamProfile, jsonProfile: options.jsonProfile },
    comparisons: comparisonsRun,
    inProcess,
    figures: featureFigures(comparisonsRun, inProcess, options.groups, options.streamProfile.chunks),
    method: FEATURE_METHOD,
  };
}

const FEATURE_METHOD = [
  'A second gateway (same harness, same mock) whose configuration holds the feature models; the chat and Messages scenarios run on a gateway without them, so their figures stay comparable with earlier runs.',
  'Each comparison runs its variants in rounds of rotating order (samples merged); "added" is a variant\'s percentile minus the reference\'s (the same model without the feature, first row). Paced runs are open loop at the rate given; p99 over a few hundred samples per variant is the tail of a short run, read it as such.',
  'Cache: misses send a prompt never seen before (a unique marker per request), exact hits the same prompt as a stored answer, semantic hits a prompt that differs from a stored one by one word (the mock\'s embeddings are hashed bags of words, cosine about 0.97, threshold 0.9). A semantic hit includes the embedding call through the gateway; the embedding call is measured alone in the same rounds, and "semantic hit excluding the embedding" is the difference of the two. Lookup results are counted from the sidecar\'s llm_gateway_cache_lookups_total.',
  'Guardrails: every PII detector with action mask, the injection patterns (block), and an output deny list (block); the prompts are prose with one email address and one phone number per 4 KB. The streamed prompt carries an address, so the answer goes through placeholder restoring as well as the deny list. CPU per chunk: the difference in sidecar CPU per stream, divided by the chunks (it includes the input check of a short prompt).',
  'Routing: ten rules (keywords, a regex, the system prompt, tools, images, JSON schema, two headers, prompt_tokens at most 200, which a prompt over 200 bytes has counted) that a prose prompt does not match, then the cheapest of three tiered models with min_tier 2, which is gpt-4o-mini, the plain alias\'s model, so the upstream traffic is the same. Token counting = the route minus the same route without the prompt_tokens rule.',
  'In process (bench/in-process.ts, its own Node process with --expose-gc): the guardrails\' own time (bench/guardrails.ts), the cache key and lookup on a store of 10,000 entries, the semantic index search among 10,000 vectors of 1536 dimensions in one partition, memory per 10,000 entries after full collections, and a tokenizer count through its worker thread.',
];

function ms(value: number | undefined): string {
  return value === undefined ? '-' : `${value} ms`;
}

function us(value: number | undefined): string {
  return value === undefined ? '-' : `${value} µs`;
}

/** The figures the issues ask for, from the comparisons and the in-process measurements. */
export function featureFigures(comparisons: ComparisonResult[], inProcess: InProcessFigures, groups: FeatureGroup[], chunks: number): FeatureFigure[] {
  const figures: FeatureFigure[] = [];
  const variant = (comparison: string, id: string) => comparisons.find((entry) => entry.id === comparison)?.variants.find((entry) => entry.id === id);
  const latency = (entry: VariantResult | undefined) => (entry?.load.kind === 'stream' || entry === undefined ? undefined : entry.load.latencyMs);
  const share = (entry: VariantResult | undefined, result: string) => {
    const lookups = entry?.cacheLookups;
    if (lookups === undefined) return '-';
    const total = Object.values(lookups).reduce((sum, count) => sum + count, 0);
    return total === 0 ? '-' : `${Math.round(((lookups[result] ?? 0) / total) * 1000) / 10}% ${result}`;
  };
  if (groups.includes('cache')) {
    const miss = variant('cache-latency', 'miss');
    const exact = variant('cache-latency', 'exact-hit');
    const semantic = variant('cache-latency', 'semantic-hit');
    const embedding = variant('cache-latency', 'embedding');
    const [exactLatency, semanticLatency, embeddingLatency] = [latency(exact), latency(semantic), latency(embedding)];
    const uncachedMax = variant('cache-throughput', 'uncached')?.load as RequestRunResult | undefined;
    const hitsMax = variant('cache-throughput', 'exact-hit')?.load as RequestRunResult | undefined;
    figures.push(
      { group: 'cache', name: 'miss: added latency p50 / p99 (key, lookup and store, vs the model without cache)', measured: `${ms(miss?.added?.p50_ms)} / ${ms(miss?.added?.p99_ms)} (${share(miss, 'miss')})` },
      { group: 'cache', name: 'miss: added sidecar CPU per request', measured: us(miss === undefined ? undefined : round(miss.sidecarCpuMicros - variant('cache-latency', 'uncached')!.sidecarCpuMicros, 1)) },
      { group: 'cache', name: 'exact hit: latency p50 / p99 (answered by the gateway)', measured: `${ms(exactLatency?.p50)} / ${ms(exactLatency?.p99)} (${share(exact, 'hit')})`, target: '< 50 ms (the articles\' claim)', met: exactLatency === undefined ? undefined : exactLatency.p50 < 50 },
      { group: 'cache', name: 'exact hit: against the provider call it replaces (mock answering at once), p50 / p99', measured: `${ms(exact?.added?.p50_ms)} / ${ms(exact?.added?.p99_ms)}` },
      { group: 'cache', name: 'semantic hit: latency p50 / p99, embedding call included', measured: `${ms(semanticLatency?.p50)} / ${ms(semanticLatency?.p99)} (${share(semantic, 'semantic-hit')})`, target: '< 50 ms (the articles\' claim)', met: semanticLatency === undefined ? undefined : semanticLatency.p50 < 50 },
      { group: 'cache', name: 'the embedding call alone through the gateway, p50 / p99', measured: `${ms(embeddingLatency?.p50)} / ${ms(embeddingLatency?.p99)}` },
      {
        group: 'cache',
        name: 'semantic hit excluding the embedding call, p50 / p99 (semantic hit minus the embedding call, percentile by percentile: the p99 of a difference is not the difference of p99s, read it as a bound)',
        measured: semanticLatency && embeddingLatency ? `${ms(round(semanticLatency.p50 - embeddingLatency.p50))} / ${ms(round(semanticLatency.p99 - embeddingLatency.p99))}` : '-',
      },
      { group: 'cache', name: 'hit throughput at 32 connections: hits/s vs requests/s without cache', measured: hitsMax && uncachedMax ? `${Math.round(hitsMax.throughputRps)} vs ${Math.round(uncachedMax.throughputRps)}` : '-' },
      { group: 'cache', name: 'in process: cache key + lookup (store of 10,000), p50 / p99', measured: `${us(inProcess.cacheKeyAndLookup.p50)} / ${us(inProcess.cacheKeyAndLookup.p99)}` },
      { group: 'cache', name: 'in process: semantic index search among 10,000 vectors (1536 dims), p50 / p99', measured: `${us(inProcess.semanticSearch.p50)} / ${us(inProcess.semanticSearch.p99)}` },
      {
        group: 'cache',
        name: 'memory per 10,000 exact entries (1 KB answers): heap / RSS / store\'s estimate',
        measured: `${inProcess.exactCacheMiBPer10k.heap} / ${inProcess.exactCacheMiBPer10k.rss} / ${inProcess.exactCacheMiBPer10k.storeEstimate} MiB`,
      },
      { group: 'cache', name: 'memory the semantic index adds per 10,000 entries: heap / RSS (vectors are native)', measured: `${inProcess.semanticIndexMiBPer10k.heap} / ${inProcess.semanticIndexMiBPer10k.rss} MiB` },
    );
  }
  if (groups.includes('guardrails')) {
    for (const size of ['4k', '64k'] as const) {
      const guarded = variant(`guardrails-${size}`, 'guarded');
      const plain = variant(`guardrails-${size}`, 'plain');
      const p50 = guarded?.added?.p50_ms;
      figures.push(
        {
          group: 'guardrails',
          name: `${size === '4k' ? '4' : '64'} KB prompt: added latency p50 / p99 (full rule set vs none)`,
          measured: `${ms(p50)} / ${ms(guarded?.added?.p99_ms)}`,
          ...(size === '4k' ? { target: 'p50 <= 0.5 ms', met: p50 === undefined ? undefined : p50 <= 0.5 } : {}),
        },
        { group: 'guardrails', name: `${size === '4k' ? '4' : '64'} KB prompt: added sidecar CPU per request`, measured: us(guarded && plain ? round(guarded.sidecarCpuMicros - plain.sidecarCpuMicros, 1) : undefined) },
      );
    }
    const streamGuarded = variant('guardrails-stream', 'guarded');
    const streamPlain = variant('guardrails-stream', 'plain');
    const perChunk = streamGuarded?.added?.per_chunk_ms;
    const cpuPerChunk = streamGuarded && streamPlain ? round((streamGuarded.sidecarCpuMicros - streamPlain.sidecarCpuMicros) / chunks, 1) : undefined;
    figures.push(
      { group: 'guardrails', name: 'stream: added time per chunk, (total_guarded - total_plain) / chunks', measured: perChunk === undefined ? '-' : `${round(perChunk * 1000, 1)} µs`, target: '<= 20 µs', met: perChunk === undefined ? undefined : perChunk * 1000 <= 20 },
      { group: 'guardrails', name: 'stream: added transit per chunk, p50 / p99', measured: `${ms(streamGuarded?.added?.chunk_transit_p50_ms)} / ${ms(streamGuarded?.added?.chunk_transit_p99_ms)}` },
      { group: 'guardrails', name: 'stream: added sidecar CPU per chunk', measured: us(cpuPerChunk), target: '<= 20 µs', met: cpuPerChunk === undefined ? undefined : cpuPerChunk <= 20 },
      { group: 'guardrails', name: 'in process: input guardrails, 4 KB prompt, p50 / p99', measured: `${us(inProcess.guardrailInput4k.p50)} / ${us(inProcess.guardrailInput4k.p99)}`, target: 'p50 <= 500 µs', met: inProcess.guardrailInput4k.p50 <= 500 },
      { group: 'guardrails', name: 'in process: input guardrails, 64 KB prompt, p50 / p99', measured: `${us(inProcess.guardrailInput64k.p50)} / ${us(inProcess.guardrailInput64k.p99)}` },
      { group: 'guardrails', name: 'in process: output guardrails per streamed chunk, p50 / p99', measured: `${us(inProcess.guardrailPerChunk.p50)} / ${us(inProcess.guardrailPerChunk.p99)}`, target: 'p50 <= 20 µs', met: inProcess.guardrailPerChunk.p50 <= 20 },
      { group: 'guardrails', name: 'in process: per streamed tool-call argument chunk (restore), p50 / p99', measured: `${us(inProcess.guardrailPerToolChunk.p50)} / ${us(inProcess.guardrailPerToolChunk.p99)}`, target: 'p50 <= 20 µs', met: inProcess.guardrailPerToolChunk.p50 <= 20 },
      { group: 'guardrails', name: 'in process: per streamed chunk with a moderation guardrail too (its call excluded), p50 / p99', measured: `${us(inProcess.guardrailPerModeratedChunk.p50)} / ${us(inProcess.guardrailPerModeratedChunk.p99)}`, target: 'p50 <= 20 µs', met: inProcess.guardrailPerModeratedChunk.p50 <= 20 },
    );
  }
  if (groups.includes('routing')) {
    for (const size of ['4k', '64k'] as const) {
      const route = variant(`routing-${size}`, 'route');
      const nocount = variant(`routing-${size}`, 'route-nocount');
      const plain = variant(`routing-${size}`, 'plain');
      const label = size === '4k' ? '4' : '64';
      figures.push(
        { group: 'routing', name: `${label} KB prompt: route (10 rules, cheapest with tiers) vs plain alias, added p50 / p99`, measured: `${ms(route?.added?.p50_ms)} / ${ms(route?.added?.p99_ms)}` },
        { group: 'routing', name: `${label} KB prompt: route without the token-counting rule vs plain alias, added p50 / p99`, measured: `${ms(nocount?.added?.p50_ms)} / ${ms(nocount?.added?.p99_ms)}` },
        {
          group: 'routing',
          name: `${label} KB prompt: added by token counting (route minus route without it), p50 / p99`,
          measured: route?.added && nocount?.added ? `${ms(round(route.added.p50_ms! - nocount.added.p50_ms!))} / ${ms(round(route.added.p99_ms! - nocount.added.p99_ms!))}` : '-',
        },
        { group: 'routing', name: `${label} KB prompt: added sidecar CPU per request, route / route without counting`, measured: route && nocount && plain ? `${us(round(route.sidecarCpuMicros - plain.sidecarCpuMicros, 1))} / ${us(round(nocount.sidecarCpuMicros - plain.sidecarCpuMicros, 1))}` : '-' },
      );
    }
    figures.push(
      { group: 'routing', name: 'in process: one token count (tokenizer worker round trip), 4 KB prompt, p50 / p99', measured: `${ms(inProcess.tokenCount4kMs.p50)} / ${ms(inProcess.tokenCount4kMs.p99)}` },
      { group: 'routing', name: 'in process: one token count, 64 KB prompt, p50 / p99', measured: `${ms(inProcess.tokenCount64kMs.p50)} / ${ms(inProcess.tokenCount64kMs.p99)}` },
    );
  }
  return figures;
}
