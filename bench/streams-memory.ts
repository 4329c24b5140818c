import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { startGateway } from '../test/support/gateway-harness.js';
import { runInWorker, type HttpTarget } from './load.js';
import { scanStamps, type MockProfile } from './mock-upstream.js';
import { findChildByCommandLine, findChildByEnvironment, memory } from './proc-stats.js';
import type { MockProcess } from './run.js';
import { metricSum, settleInFlight } from './sidecar-gauges.js';

/**
 * Memory with many concurrent streams (issue 17: "sidecar RSS <= 150 MiB, and still
 * <= 150 MiB with 1,000 concurrent streams open"). A gateway of its own is warmed up with
 * answers and streams, its sidecar's RSS read at rest; then `streams` chat completion
 * streams are opened over `rampSeconds` against a mock that writes a chunk every
 * `holdSeconds / chunks`, so every stream is still open when the last one starts. While all
 * are open (the clients have each read a first chunk and none has ended), the sidecar's and
 * Envoy's RSS are read every 250 ms, and the sidecar's own gauges are read once to confirm
 * it holds them all. Each stream must then end with every chunk.
 *
 * Envoy's limits are not in the way: the rendered bootstrap's circuit breakers allow 10,000
 * requests per model cluster (resilience.circuit_breakers) and 100,000 on the sidecar's
 * gRPC cluster, and 10,000 downstream connections; the benchmark process, Envoy and the
 * mock each hold about 1,000-2,000 sockets, under this machine's `ulimit -n`.
 */
export interface StreamsMemoryOptions {
  mock: MockProcess;
  providers: Record<string, unknown>;
  models: Record<string, unknown>;
  environment: Record<string, string>;
  /** The model alias the streams ask for (an OpenAI pass-through model). */
  model: string;
  streams: number;
  rampSeconds: number;
  holdSeconds: number;
  warmupSeconds: number;
  jsonProfile: MockProfile;
  log: (line: string) => void;
}

export interface StreamsMemoryReport {
  streams: number;
  rampSeconds: number;
  holdSeconds: number;
  /** Sidecar RSS after start-up and warm-up, nothing in flight, MiB. */
  idleRssMiB: number;
  /** Largest sidecar RSS read while every stream was open, MiB. */
  openRssMiB: number;
  /** After the streams ended. */
  afterRssMiB: number;
  envoyIdleRssMiB: number;
  envoyOpenRssMiB: number;
  /** Readings taken while every stream was open. */
  readingsWhileOpen: number;
  /** Most streams open at once, as the clients saw it. */
  maxOpen: number;
  /** The sidecar's own llm_gateway_active_requests while every stream was open. */
  sidecarActiveRequests: number | undefined;
  completed: number;
  failed: number;
  /** In-flight gauges once the streams ended (all 0 when nothing leaks; read until they are, for up to 15 s). */
  gaugesAfter: Record<string, number>;
  targetMiB: number;
  idleMet: boolean;
  openMet: boolean;
  envoyLimits: string;
}

export const RSS_TARGET_MIB = 150;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

function chatTarget(port: number, model: string, stream: boolean): HttpTarget {
  const body = JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'Write a short note on keeping many streams open through a proxy.' }],
    max_tokens: 256,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
  return { host: '127.0.0.1', port, path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body };
}

/** Many streams at once: counts those open (first chunk read, not ended) and those that ended whole. */
class OpenStreams {
  open = 0;
  maxOpen = 0;
  completed = 0;
  failed = 0;
  readonly #agent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

  start(target: HttpTarget, chunks: number): Promise<void> {
    return new Promise((resolve) => {
      let opened = false;
      let finished = false;
      const finish = (whole: boolean) => {
        if (finished) return;
        finished = true;
        if (opened) this.open -= 1;
        if (whole) this.completed += 1;
        else this.failed += 1;
        resolve();
      };
      const outgoing = request({ agent: this.#agent, host: target.host, port: target.port, method: 'POST', path: target.path, headers: { ...target.headers, 'content-length': String(Buffer.byteLength(target.body)) } }, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          response.on('end', () => finish(false));
          return;
        }
        response.setEncoding('latin1');
        let text = '';
        let scanFrom = 0;
        let seen = 0;
        response.on('data', (chunk: string) => {
          text += chunk;
          scanFrom = scanStamps(text, scanFrom, () => (seen += 1));
          if (!opened && seen > 0) {
            opened = true;
            this.open += 1;
            this.maxOpen = Math.max(this.maxOpen, this.open);
          }
        });
        response.on('end', () => finish(seen === chunks));
        response.on('error', () => finish(false));
      });
      outgoing.on('error', () => finish(false));
      outgoing.end(target.body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

export async function runStreamsMemory(options: StreamsMemoryOptions): Promise<StreamsMemoryReport> {
  const gateway = await startGateway({ providers: options.providers, models: options.models, environment: options.environment, retainLogs: false });
  const holder = new OpenStreams();
  try {
    const sidecar = findChildByEnvironment(process.pid, 'GATEWAY_CONFIG', gateway.configPath);
    const envoy = findChildByCommandLine(process.pid, join(dirname(gateway.configPath), 'envoy.yaml'));
    if (sidecar === undefined || envoy === undefined) throw new Error('could not find the memory gateway\'s sidecar or Envoy process');
    options.log(`memory gateway :${gateway.listenerPort} (envoy pid ${envoy}, sidecar pid ${sidecar}): ${options.streams} concurrent streams`);

    // Warm-up: answers and streams, as any gateway has served before it is measured at rest.
    await options.mock.setProfile(options.jsonProfile);
    const timing = { warmupSeconds: 0, seconds: options.warmupSeconds / 2 };
    await runInWorker({ kind: 'paced', target: chatTarget(gateway.listenerPort, options.model, false), rate: 200, connections: 16, ...timing }, () => undefined);
    await runInWorker({ kind: 'stream', target: chatTarget(gateway.listenerPort, options.model, true), concurrency: 8, expectedChunks: options.jsonProfile.chunks, ...timing }, () => undefined);
    await sleep(1000);
    const idleRss = memory(sidecar).rssBytes;
    const envoyIdleRss = memory(envoy).rssBytes;

    // Slow streams: each lasts holdSeconds, longer than the ramp, so all are open together.
    const chunks = 10;
    await options.mock.setProfile({ ...options.jsonProfile, chunks, interChunkMs: Math.round((options.holdSeconds * 1000) / chunks) });
    const target = chatTarget(gateway.listenerPort, options.model, true);
    const running: Promise<void>[] = [];
    const startedAt = performance.now();
    for (let index = 0; index < options.streams; index++) {
      const due = startedAt + (index * options.rampSeconds * 1000) / options.streams;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      running.push(holder.start(target, chunks));
    }
    let openRss = 0;
    let envoyOpenRss = 0;
    let readings = 0;
    let sidecarActiveRequests: number | undefined;
    const allDone = Promise.all(running);
    let done = false;
    void allDone.then(() => (done = true));
    while (!done) {
      if (holder.open === options.streams) {
        openRss = Math.max(openRss, memory(sidecar).rssBytes);
        envoyOpenRss = Math.max(envoyOpenRss, memory(envoy).rssBytes);
        readings += 1;
        if (sidecarActiveRequests === undefined) sidecarActiveRequests = metricSum(await gateway.sidecarMetrics(), 'llm_gateway_active_requests');
      }
      await sleep(250);
    }
    const { gauges: gaugesAfter } = await settleInFlight(() => gateway.sidecarMetrics(), 15_000);
    await sleep(1000);
    const afterRss = memory(sidecar).rssBytes;
    await options.mock.setProfile(options.jsonProfile);
    const report: StreamsMemoryReport = {
      streams: options.streams,
      rampSeconds: options.rampSeconds,
      holdSeconds: options.holdSeconds,
      idleRssMiB: mib(idleRss),
      openRssMiB: mib(openRss),
      afterRssMiB: mib(afterRss),
      envoyIdleRssMiB: mib(envoyIdleRss),
      envoyOpenRssMiB: mib(envoyOpenRss),
      readingsWhileOpen: readings,
      maxOpen: holder.maxOpen,
      sidecarActiveRequests,
      completed: holder.completed,
      failed: holder.failed,
      gaugesAfter,
      targetMiB: RSS_TARGET_MIB,
      idleMet: mib(idleRss) <= RSS_TARGET_MIB,
      openMet: readings > 0 && mib(openRss) <= RSS_TARGET_MIB,
      envoyLimits: 'rendered bootstrap unchanged: model clusters\' circuit breakers 10,000 requests / 10,000 pending (resilience.circuit_breakers defaults), sidecar cluster 100,000, 10,000 downstream connections',
    };
    options.log(
      `  memory: sidecar RSS idle ${report.idleRssMiB} MiB, with ${report.maxOpen} streams open ${report.openRssMiB} MiB (${readings} readings), after ${report.afterRssMiB} MiB; Envoy ${report.envoyIdleRssMiB} -> ${report.envoyOpenRssMiB} MiB; ${report.completed} streams whole, ${report.failed} failed`,
    );
    return report;
  } finally {
    holder.close();
    await gateway.stop();
  }
}
