import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startGateway, type GatewayHarness } from '../test/support/gateway-harness.js';
import { runInWorker, type RequestRunResult, type StreamRunResult } from './load.js';
import { DEFAULT_PROFILE } from './mock-upstream.js';
import { cpuMicros, findChildByCommandLine, findChildByEnvironment } from './proc-stats.js';
import { clientBody, clientRequest, startMockProcess } from './run.js';

/**
 * sidecar.pass_through_observability_mode, A/B: two gateways side by side in front of one mock,
 * one with the setting off and one with it on, measured in interleaved rounds (the order flips
 * every round) so both see the same machine. OpenAI pass-through only (the path the setting
 * changes): JSON answers at a paced rate, and streams of `chunks` chunks at `concurrency`.
 *
 *   node dist/bench/observability-ab.js [--rounds 4] [--seconds 4] [--rate 200] [--concurrency 4] [--chunks 20]
 *
 * Prints one JSON line per side: per JSON request, Envoy + sidecar CPU (µs) and latency p50/p99
 * (ms); per stream, CPU (µs) and per chunk beyond the JSON request's CPU, time to first token
 * and chunk transit p50 (ms). Medians over rounds, with every round's figure.
 */
interface Options {
  rounds: number;
  seconds: number;
  rate: number;
  concurrency: number;
  chunks: number;
}

const SIDECAR_ENVIRONMENT = { LOG_LEVEL: 'info', BENCH_OPENAI_KEY: 'sk-bench-openai-key' };

function option(argv: string[], name: string, fallback: string): number {
  const at = argv.indexOf(`--${name}`);
  return Number(at === -1 ? fallback : (argv[at + 1] ?? fallback));
}

interface Side {
  name: 'off' | 'on';
  gateway: GatewayHarness;
  sidecar: number;
  envoy: number;
  json: { cpuUs: number; envoyUs: number; sidecarUs: number; p50: number; p99: number }[];
  stream: { cpuUs: number; envoyUs: number; sidecarUs: number; firstToken: number; transit: number }[];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const round1 = (value: number) => Math.round(value * 10) / 10;
const round2 = (value: number) => Math.round(value * 100) / 100;

async function main(options: Options): Promise<void> {
  const mock = await startMockProcess();
  await mock.setProfile({ ...DEFAULT_PROFILE, chunks: options.chunks });
  const sides: Side[] = [];
  try {
    for (const name of ['off', 'on'] as const) {
      const gateway = await startGateway({
        providers: { mock_openai: { kind: 'openai', base_url: `http://127.0.0.1:${mock.port}/v1`, credential: { env: 'BENCH_OPENAI_KEY' } } },
        models: { 'bench-openai': { provider: 'mock_openai', model: 'gpt-4o-mini' } },
        environment: SIDECAR_ENVIRONMENT,
        retainLogs: false,
        sidecarWorkers: 1,
        passThroughObservabilityMode: name === 'on',
      });
      const sidecar = findChildByEnvironment(process.pid, 'GATEWAY_CONFIG', gateway.configPath);
      const envoy = findChildByCommandLine(process.pid, join(dirname(gateway.configPath), 'envoy.yaml'));
      if (sidecar === undefined || envoy === undefined) throw new Error('sidecar or Envoy not found');
      sides.push({ name, gateway, sidecar, envoy, json: [], stream: [] });
    }
    const request = clientRequest('openai');
    const target = (side: Side, stream: boolean) => ({ host: '127.0.0.1', port: side.gateway.listenerPort, path: request.path, headers: request.headers, body: clientBody('openai', stream) });
    const measure = async <T>(side: Side, job: (onMeasure: () => void) => Promise<T>) => {
      let sidecar = 0;
      let envoy = 0;
      const result = await job(() => {
        sidecar = cpuMicros(side.sidecar);
        envoy = cpuMicros(side.envoy);
      });
      return { result, sidecarUs: cpuMicros(side.sidecar) - sidecar, envoyUs: cpuMicros(side.envoy) - envoy };
    };
    const runJson = (side: Side, seconds: number) =>
      measure(side, (onMeasure) => runInWorker({ kind: 'paced', target: target(side, false), rate: options.rate, connections: 16, warmupSeconds: 1, seconds }, onMeasure) as Promise<RequestRunResult>);
    const runStreams = (side: Side, seconds: number) =>
      measure(side, (onMeasure) => runInWorker({ kind: 'stream', target: target(side, true), concurrency: options.concurrency, expectedChunks: options.chunks, warmupSeconds: 1, seconds }, onMeasure) as Promise<StreamRunResult>);
    // Warm-up: V8 optimises after enough calls.
    for (const side of sides) {
      await runJson(side, 2);
      await runStreams(side, 2);
    }
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const json = await runJson(side, options.seconds);
        const ok = json.result.ok;
        if (json.result.non2xx + json.result.errors > 0) throw new Error(`${side.name}: JSON requests failed`);
        side.json.push({ cpuUs: (json.sidecarUs + json.envoyUs) / ok, sidecarUs: json.sidecarUs / ok, envoyUs: json.envoyUs / ok, p50: json.result.latencyMs.p50, p99: json.result.latencyMs.p99 });
      }
      for (const side of order) {
        const streams = await runStreams(side, options.seconds);
        const ok = streams.result.ok;
        if (streams.result.errors > 0) throw new Error(`${side.name}: streams failed`);
        side.stream.push({
          cpuUs: (streams.sidecarUs + streams.envoyUs) / ok,
          sidecarUs: streams.sidecarUs / ok,
          envoyUs: streams.envoyUs / ok,
          firstToken: streams.result.firstTokenMs.p50,
          transit: streams.result.chunkTransitMs.p50,
        });
      }
      console.error(`round ${round + 1}/${options.rounds} done`);
    }
  } finally {
    for (const side of sides) await side.gateway.stop();
    await mock.stop();
  }
  for (const side of sides) {
    const jsonCpu = median(side.json.map((entry) => entry.cpuUs));
    const perChunk = (entries: Side['stream'], key: 'cpuUs' | 'sidecarUs' | 'envoyUs', jsonKey: 'cpuUs' | 'sidecarUs' | 'envoyUs') =>
      round1((median(entries.map((entry) => entry[key])) - median(side.json.map((entry) => entry[jsonKey]))) / options.chunks);
    console.log(
      JSON.stringify({
        pass_through_observability_mode: side.name,
        json: {
          rate: options.rate,
          cpu_us_per_request: Math.round(jsonCpu),
          sidecar_us: Math.round(median(side.json.map((entry) => entry.sidecarUs))),
          envoy_us: Math.round(median(side.json.map((entry) => entry.envoyUs))),
          p50_ms: round2(median(side.json.map((entry) => entry.p50))),
          p99_ms: round2(median(side.json.map((entry) => entry.p99))),
          rounds_cpu_us: side.json.map((entry) => Math.round(entry.cpuUs)),
          rounds_p50_ms: side.json.map((entry) => round2(entry.p50)),
        },
        stream: {
          concurrency: options.concurrency,
          chunks: options.chunks,
          cpu_us_per_stream: Math.round(median(side.stream.map((entry) => entry.cpuUs))),
          cpu_us_per_chunk_beyond_json: { total: perChunk(side.stream, 'cpuUs', 'cpuUs'), sidecar: perChunk(side.stream, 'sidecarUs', 'sidecarUs'), envoy: perChunk(side.stream, 'envoyUs', 'envoyUs') },
          first_token_p50_ms: round2(median(side.stream.map((entry) => entry.firstToken))),
          transit_p50_ms: round2(median(side.stream.map((entry) => entry.transit))),
          rounds_transit_p50_ms: side.stream.map((entry) => round2(entry.transit)),
          rounds_cpu_us: side.stream.map((entry) => Math.round(entry.cpuUs)),
        },
      }),
    );
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  main({ rounds: option(argv, 'rounds', '4'), seconds: option(argv, 'seconds', '4'), rate: option(argv, 'rate', '200'), concurrency: option(argv, 'concurrency', '4'), chunks: option(argv, 'chunks', '20') }).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
