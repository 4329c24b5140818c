import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startGateway } from '../test/support/gateway-harness.js';
import { runInWorker, type HttpTarget, type RequestRunResult } from './load.js';
import { cpuMicros, describeMachine, findChildByCommandLine, findChildByEnvironment, memory, parentPid } from './proc-stats.js';
import { clientBody, clientRequest, MAX_CONNECTIONS, startMockProcess } from './run.js';

/**
 * `make bench-workers`: the gateway's maximum throughput and CPU per request with 1 and with
 * 2 sidecar workers (sidecar.workers), OpenAI pass-through, closed loop on MAX_CONNECTIONS
 * connections, in front of the bench's mock. CPU is Envoy's plus every sidecar process's (the
 * primary and its workers), read from /proc at the start and end of the measured phase.
 * On a 2-vCPU machine the load generator, the mock, Envoy and the workers share the cores,
 * so the second worker can only show what it costs, not what it gains on a larger host.
 */
interface WorkersResult {
  workers: number;
  throughputRps: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  /** Envoy + sidecar CPU per request (µs). */
  cpuPerRequestMicros: number;
  envoyCpuPerRequestMicros: number;
  sidecarCpuPerRequestMicros: number;
  sidecarRssMiB: number;
}

const SECONDS = Number(process.env.BENCH_WORKERS_SECONDS ?? 10);
const ENVIRONMENT = { LOG_LEVEL: 'info', BENCH_OPENAI_KEY: 'sk-bench-openai-key' };

/** The sidecar's processes: the one the harness started and, with workers, its children. */
function sidecarPids(primary: number): number[] {
  const children = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return parentPid(pid) === primary;
      } catch {
        return false;
      }
    });
  return [primary, ...children];
}

async function measure(workers: number, mockPort: number): Promise<WorkersResult> {
  const gateway = await startGateway({
    sidecarWorkers: workers,
    providers: { mock_openai: { kind: 'openai', base_url: `http://127.0.0.1:${mockPort}/v1`, credential: { env: 'BENCH_OPENAI_KEY' } } },
    models: { 'bench-openai': { provider: 'mock_openai', model: 'gpt-4o-mini' } },
    environment: ENVIRONMENT,
    retainLogs: false,
  });
  try {
    const primary = findChildByEnvironment(process.pid, 'GATEWAY_CONFIG', gateway.configPath);
    const envoy = findChildByCommandLine(process.pid, join(dirname(gateway.configPath), 'envoy.yaml'));
    if (primary === undefined || envoy === undefined) throw new Error('could not find the sidecar or Envoy');
    const pids = sidecarPids(primary);
    const { path, headers } = clientRequest('openai');
    const target: HttpTarget = { host: '127.0.0.1', port: gateway.listenerPort, path, headers, body: clientBody('openai', false) };
    const sidecarCpu = () => pids.reduce((total, pid) => total + cpuMicros(pid), 0);
    let start = { envoy: 0, sidecar: 0 };
    const result = (await runInWorker({ kind: 'max', target, connections: MAX_CONNECTIONS, warmupSeconds: 3, seconds: SECONDS }, () => {
      start = { envoy: cpuMicros(envoy), sidecar: sidecarCpu() };
    })) as RequestRunResult;
    const envoyUsed = cpuMicros(envoy) - start.envoy;
    const sidecarUsed = sidecarCpu() - start.sidecar;
    const requests = Math.max(1, result.ok);
    const round = (value: number) => Math.round(value * 10) / 10;
    return {
      workers,
      throughputRps: Math.round(result.throughputRps),
      p50Ms: round(result.latencyMs.p50),
      p99Ms: round(result.latencyMs.p99),
      failed: result.non2xx + result.errors,
      cpuPerRequestMicros: Math.round((envoyUsed + sidecarUsed) / requests),
      envoyCpuPerRequestMicros: Math.round(envoyUsed / requests),
      sidecarCpuPerRequestMicros: Math.round(sidecarUsed / requests),
      sidecarRssMiB: round(pids.reduce((total, pid) => total + memory(pid).rssBytes, 0) / 2 ** 20),
    };
  } finally {
    await gateway.stop();
  }
}

async function main(): Promise<void> {
  const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : 'bench/results';
  const machine = describeMachine();
  const mock = await startMockProcess();
  const results: WorkersResult[] = [];
  try {
    for (const workers of [1, 2]) {
      process.stderr.write(`sidecar.workers: ${workers} ...\n`);
      results.push(await measure(workers, mock.port));
    }
  } finally {
    await mock.stop();
  }
  const lines = [
    `Sidecar workers, OpenAI pass-through, ${MAX_CONNECTIONS} connections, ${SECONDS} s (${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node})`,
    '',
    '| sidecar.workers | max req/s | p50 / p99 ms | CPU per request (Envoy + sidecar) | Envoy | sidecar | sidecar RSS | failed |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map((entry) => `| ${entry.workers} | ${entry.throughputRps} | ${entry.p50Ms} / ${entry.p99Ms} | ${entry.cpuPerRequestMicros} µs | ${entry.envoyCpuPerRequestMicros} µs | ${entry.sidecarCpuPerRequestMicros} µs | ${entry.sidecarRssMiB} MiB | ${entry.failed} |`),
  ];
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'workers.json'), `${JSON.stringify({ date: new Date().toISOString(), machine, seconds: SECONDS, results }, null, 2)}\n`);
  writeFileSync(join(out, 'workers.md'), `${lines.join('\n')}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
