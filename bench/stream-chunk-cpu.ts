import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startGateway } from '../test/support/gateway-harness.js';
import { runInWorker, type StreamRunResult } from './load.js';
import { DEFAULT_PROFILE, monotonicMicros, type MockProfile } from './mock-upstream.js';
import { cpuMicros, findChildByCommandLine, findChildByEnvironment } from './proc-stats.js';
import { analyseProfile, type CpuProfile, type ProfileWindow } from './profile.js';
import { clientBody, clientRequest, observabilityOptions, startMockProcess, type Api } from './run.js';

/**
 * The sidecar's CPU per streamed chunk at many concurrent streams (issue 17: "profile the
 * stream path under 64 and 1,000 concurrent streams"), without the baseline Envoy: one
 * gateway, one mock, streams of `long` chunks and of `short` chunks in alternating rounds.
 * The marginal cost of a chunk is (CPU per long stream - CPU per short stream) / (long - short):
 * what each further chunk costs, the request's own work (headers, body, metering) cancelled out.
 *
 *   node dist/bench/stream-chunk-cpu.js [--apis openai,anthropic] [--concurrency 64] [--seconds 4] [--rounds 2] [--profile]
 *
 * Prints one JSON line per API: the sidecar's CPU, and the gateway Envoy's marginal CPU per chunk
 * (its ext_proc work included; Envoy alone proxies a chunk for a few µs). With --profile the sidecar runs under V8's sampling profiler
 * (as `make bench`'s profiled run) and the long-stream windows are summarised by activity and
 * function (bench/profile.ts); read the shares, not the absolute times.
 */
interface Options {
  apis: Api[];
  concurrency: number;
  seconds: number;
  rounds: number;
  profile: boolean;
  long: number;
  short: number;
}

const SIDECAR_ENVIRONMENT = { LOG_LEVEL: 'info', BENCH_OPENAI_KEY: 'sk-bench-openai-key', BENCH_ANTHROPIC_KEY: 'sk-ant-bench-key' };

function option(argv: string[], name: string, fallback: string): string {
  const at = argv.indexOf(`--${name}`);
  return at === -1 ? fallback : (argv[at + 1] ?? fallback);
}

function parse(argv: string[]): Options {
  return {
    apis: option(argv, 'apis', 'openai,anthropic').split(',') as Api[],
    concurrency: Number(option(argv, 'concurrency', '64')),
    seconds: Number(option(argv, 'seconds', '4')),
    rounds: Number(option(argv, 'rounds', '2')),
    profile: argv.includes('--profile'),
    long: Number(option(argv, 'long', '20')),
    short: Number(option(argv, 'short', '2')),
  };
}

async function main(options: Options): Promise<void> {
  const mock = await startMockProcess();
  const directory = options.profile ? mkdtempSync(join(tmpdir(), 'stream-chunk-cpu-')) : undefined;
  const hook = pathToFileURL(fileURLToPath(new URL('./cpu-profile-hook.js', import.meta.url))).href;
  const port = mock.port;
  const gateway = await startGateway({
    providers: {
      mock_openai: { kind: 'openai', base_url: `http://127.0.0.1:${port}/v1`, credential: { env: 'BENCH_OPENAI_KEY' } },
      mock_anthropic: { kind: 'anthropic', base_url: `http://127.0.0.1:${port}/v1`, credential: { env: 'BENCH_ANTHROPIC_KEY' } },
    },
    models: { 'bench-openai': { provider: 'mock_openai', model: 'gpt-4o-mini' }, 'bench-anthropic': { provider: 'mock_anthropic', model: 'claude-haiku-4-5' } },
    environment: directory === undefined ? SIDECAR_ENVIRONMENT : { ...SIDECAR_ENVIRONMENT, NODE_OPTIONS: `--import=${hook}`, BENCH_CPU_PROFILE_DIR: directory, BENCH_CPU_PROFILE_INTERVAL_US: '200' },
    retainLogs: false,
    ...observabilityOptions(),
  });
  const windows: ProfileWindow[] = [];
  const results: Record<string, unknown>[] = [];
  try {
    const sidecar = findChildByEnvironment(process.pid, 'GATEWAY_CONFIG', gateway.configPath);
    const envoy = findChildByCommandLine(process.pid, join(dirname(gateway.configPath), 'envoy.yaml'));
    if (sidecar === undefined || envoy === undefined) throw new Error('sidecar or Envoy not found');
    const run = async (api: Api, chunks: number, seconds: number, warmupSeconds: number) => {
      const profile: MockProfile = { ...DEFAULT_PROFILE, chunks };
      await mock.setProfile(profile);
      const request = clientRequest(api);
      const target = { host: '127.0.0.1', port: gateway.listenerPort, path: request.path, headers: request.headers, body: clientBody(api, true) };
      let from = 0;
      let fromEnvoy = 0;
      let fromMicros = 0;
      const load = (await runInWorker({ kind: 'stream', target, concurrency: options.concurrency, expectedChunks: chunks, warmupSeconds, seconds }, () => {
        from = cpuMicros(sidecar);
        fromEnvoy = cpuMicros(envoy);
        fromMicros = monotonicMicros();
      })) as StreamRunResult;
      const cpu = cpuMicros(sidecar) - from;
      const envoyCpu = cpuMicros(envoy) - fromEnvoy;
      if (chunks === options.long) windows.push({ id: `${api}-${windows.length}`, description: api, fromMicros, toMicros: monotonicMicros(), requests: load.ok, chunks: load.ok * chunks });
      return { cpu, envoyCpu, streams: load.ok, errors: load.errors };
    };
    for (const api of options.apis) {
      // Warm-up: V8 optimises after enough calls.
      await run(api, options.long, 3, 1);
      const totals = { long: { cpu: 0, envoyCpu: 0, streams: 0, errors: 0 }, short: { cpu: 0, envoyCpu: 0, streams: 0, errors: 0 } };
      for (let round = 0; round < options.rounds; round++) {
        const order = round % 2 === 0 ? (['long', 'short'] as const) : (['short', 'long'] as const);
        for (const kind of order) {
          const measured = await run(api, options[kind], options.seconds, 1);
          totals[kind].cpu += measured.cpu;
          totals[kind].envoyCpu += measured.envoyCpu;
          totals[kind].streams += measured.streams;
          totals[kind].errors += measured.errors;
        }
      }
      const perLong = totals.long.cpu / totals.long.streams;
      const perShort = totals.short.cpu / totals.short.streams;
      const envoyLong = totals.long.envoyCpu / totals.long.streams;
      const envoyShort = totals.short.envoyCpu / totals.short.streams;
      results.push({
        api,
        concurrency: options.concurrency,
        streams: { long: totals.long.streams, short: totals.short.streams },
        errors: totals.long.errors + totals.short.errors,
        cpu_us_per_stream: { long: Math.round(perLong), short: Math.round(perShort) },
        cpu_us_per_chunk_all_in: Math.round((perLong / options.long) * 10) / 10,
        cpu_us_per_chunk_marginal: Math.round(((perLong - perShort) / (options.long - options.short)) * 10) / 10,
        envoy_cpu_us_per_chunk_marginal: Math.round(((envoyLong - envoyShort) / (options.long - options.short)) * 10) / 10,
      });
    }
  } finally {
    await gateway.stop();
    await mock.stop();
  }
  for (const result of results) console.log(JSON.stringify(result));
  if (directory !== undefined) {
    const file = readdirSync(directory).find((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error('no .cpuprofile written');
    const cpuProfile = JSON.parse(readFileSync(join(directory, file), 'utf8')) as CpuProfile;
    rmSync(directory, { recursive: true, force: true });
    for (const analysis of analyseProfile(cpuProfile, windows, 25)) console.log(JSON.stringify(analysis, null, 1));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(parse(process.argv.slice(2))).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
