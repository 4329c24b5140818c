import { Agent, request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import { monotonicMicros, scanStamps } from './mock-upstream.js';

/**
 * Load generation, run in a worker thread so that the orchestrating thread (which reads the
 * gateway's and Envoy's logs through pipes) never delays a request or a measurement.
 *
 * - `paced`: an open-loop, evenly paced request rate (one request every 1/rate s, whatever
 *   the answers do) over keep-alive connections. autocannon's own rate limit sends each
 *   connection's quota for a second as one burst, which measures a burst, not a rate.
 * - `max`: autocannon, closed loop, N keep-alive connections: the most the system answers.
 * - `stream`: N concurrent keep-alive clients, each reading one event stream after another:
 *   time to first byte, to the first content chunk, to the end, and each chunk's transit
 *   time (its arrival minus the mock's stamp of when it was written).
 *
 * Every job warms up (same connections, same load) before its measured phase, and tells
 * the orchestrator when the measured phase starts so it can read CPU counters then.
 */
export interface HttpTarget {
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  body: string;
  /**
   * A marker in `body` replaced by a value unique to each request (paced and stream jobs
   * only), so that no two requests are the same: cache misses, near-duplicates for the
   * semantic cache. Unique across jobs and rounds too.
   */
  vary?: string;
}

/**
 * `value` written in the letters a-z (base 26), so a varied prompt carries no digits: the
 * semantic cache's guard serves a neighbour's answer only when both prompts have the same
 * numbers, and a counter in digits would make every near prompt a miss.
 */
export function inLetters(value: number): string {
  let out = '';
  let rest = Math.floor(value);
  do {
    out = String.fromCharCode(97 + (rest % 26)) + out;
    rest = Math.floor(rest / 26);
  } while (rest > 0);
  return out;
}

/** The body of each request: the same buffer, or one with the target's marker replaced by a fresh value (letters only). */
function bodies(target: HttpTarget): () => Buffer {
  const fixed = Buffer.from(target.body);
  const marker = target.vary;
  if (marker === undefined) return () => fixed;
  const [before, ...rest] = target.body.split(marker);
  const after = rest.join(marker);
  // Unique across jobs and rounds: 48 random bits.
  const prefix = inLetters(Number.parseInt(randomUUID().replaceAll('-', '').slice(0, 12), 16));
  let next = 0;
  return () => Buffer.from(`${before}${prefix}-${inLetters(next++)}${after}`);
}

export type LoadJob =
  | { kind: 'paced'; target: HttpTarget; rate: number; connections: number; warmupSeconds: number; seconds: number }
  | { kind: 'max'; target: HttpTarget; connections: number; warmupSeconds: number; seconds: number }
  | { kind: 'stream'; target: HttpTarget; concurrency: number; warmupSeconds: number; seconds: number; expectedChunks: number };

export interface LatencySummary {
  count: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface RequestRunResult {
  kind: 'paced' | 'max';
  /** Answers with a 2xx status in the measured phase. */
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
  throughputRps: number;
  latencyMs: LatencySummary;
  /** paced only: how late the generator sent (p99 of actual minus scheduled send time). */
  sendLagP99Ms?: number;
  /** Raw latencies (ms), for merging rounds; dropped from reports. */
  samples?: number[];
}

export interface StreamRunResult {
  kind: 'stream';
  /** Complete streams (status 200, every chunk seen) in the measured phase. */
  ok: number;
  /** Streams that failed, answered another status, or lacked chunks. */
  errors: number;
  seconds: number;
  streamsPerSecond: number;
  chunksPerStream: number;
  /** Request sent -> first byte of the body. */
  firstByteMs: LatencySummary;
  /** Request sent -> first content chunk (first token). */
  firstTokenMs: LatencySummary;
  /** Request sent -> last byte. */
  totalMs: LatencySummary;
  /** Each content chunk: mock wrote it -> client read it. */
  chunkTransitMs: LatencySummary;
  /** Raw samples (ms), for merging rounds; dropped from reports. */
  samples?: { firstByte: number[]; firstToken: number[]; total: number[]; transit: number[] };
}

export type LoadResult = RequestRunResult | StreamRunResult;

export function summarize(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const count = sorted.length;
  if (count === 0) return { count: 0, mean: 0, min: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  let sum = 0;
  for (const value of sorted) sum += value;
  // Nearest rank.
  const at = (quantile: number) => sorted[Math.min(count - 1, Math.max(0, Math.ceil(quantile * count) - 1))]!;
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return { count, mean: round(sum / count), min: round(sorted[0]!), p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(sorted[count - 1]!) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function requestHeaders(target: HttpTarget, body?: Buffer): Record<string, string> {
  return { ...target.headers, 'content-length': String(body?.length ?? Buffer.byteLength(target.body)) };
}

/** Open-loop paced requests; resolves when every answer is in. */
async function paced(job: Extract<LoadJob, { kind: 'paced' }>, agent: Agent, seconds: number, measure: boolean): Promise<RequestRunResult> {
  const nextBody = bodies(job.target);
  const latencies: number[] = [];
  const lags: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let inFlight = 0;
  const total = Math.max(1, Math.round(job.rate * seconds));
  const interval = 1000 / job.rate;
  const startedAt = performance.now();
  let lastAnswerAt = startedAt;

  return new Promise((resolve) => {
    let sent = 0;
    let allSent = false;
    const maybeDone = () => {
      if (!allSent || inFlight > 0) return;
      const elapsed = (lastAnswerAt - startedAt) / 1000;
      resolve({ kind: 'paced', ok, non2xx, errors, seconds: elapsed, throughputRps: ok / elapsed, latencyMs: summarize(latencies), sendLagP99Ms: summarize(lags).p99, samples: latencies });
    };
    const fire = (scheduledAt: number) => {
      const start = performance.now();
      if (measure) lags.push(start - scheduledAt);
      inFlight += 1;
      const body = nextBody();
      const outgoing = request({ agent, host: job.target.host, port: job.target.port, method: 'POST', path: job.target.path, headers: requestHeaders(job.target, body) }, (response) => {
        response.resume();
        response.on('end', () => {
          const end = performance.now();
          lastAnswerAt = end;
          if ((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300) {
            ok += 1;
            if (measure) latencies.push(end - start);
          } else non2xx += 1;
          inFlight -= 1;
          maybeDone();
        });
      });
      outgoing.on('error', () => {
        errors += 1;
        inFlight -= 1;
        maybeDone();
      });
      outgoing.end(body);
    };
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - startedAt) / interval) + 1);
      while (sent < due) {
        fire(startedAt + sent * interval);
        sent += 1;
      }
      if (sent < total) setTimeout(tick, Math.max(0, startedAt + sent * interval - performance.now()));
      else {
        allSent = true;
        maybeDone();
      }
    };
    tick();
  });
}

/** Closed loop at full speed through autocannon; latencies are taken from its per-response event (fractional ms). */
function maxRun(job: Extract<LoadJob, { kind: 'max' }>, seconds: number): Promise<RequestRunResult> {
  if (job.target.vary !== undefined) return Promise.reject(new Error('a maximum-throughput job sends one fixed body: vary is for paced and stream jobs'));
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://${job.target.host}:${job.target.port}${job.target.path}`,
        method: 'POST',
        headers: job.target.headers,
        body: job.target.body,
        connections: job.connections,
        duration: seconds,
        timeout: 10,
      },
      (error, result) => {
        if (error) return reject(error);
        const elapsed = (performance.now() - startedAt) / 1000;
        resolve({ kind: 'max', ok, non2xx, errors: result.errors + result.timeouts, seconds: elapsed, throughputRps: ok / elapsed, latencyMs: summarize(latencies), samples: latencies });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) {
        ok += 1;
        latencies.push(responseTime);
      } else non2xx += 1;
    });
  });
}

interface StreamSample {
  firstByte: number;
  firstToken: number;
  total: number;
  transits: number[];
}

function oneStream(job: Extract<LoadJob, { kind: 'stream' }>, agent: Agent, body: Buffer): Promise<StreamSample | undefined> {
  const headers = requestHeaders(job.target, body);
  return new Promise((resolve) => {
    const start = monotonicMicros();
    const outgoing = request({ agent, host: job.target.host, port: job.target.port, method: 'POST', path: job.target.path, headers }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        response.on('end', () => resolve(undefined));
        return;
      }
      response.setEncoding('latin1');
      let text = '';
      let scanFrom = 0;
      let firstByte: number | undefined;
      let firstToken: number | undefined;
      const transits: number[] = [];
      response.on('data', (chunk: string) => {
        const now = monotonicMicros();
        if (firstByte === undefined) firstByte = (now - start) / 1000;
        text += chunk;
        scanFrom = scanStamps(text, scanFrom, (sentAt) => {
          if (firstToken === undefined) firstToken = (now - start) / 1000;
          transits.push((now - sentAt) / 1000);
        });
      });
      response.on('end', () => {
        const total = (monotonicMicros() - start) / 1000;
        if (firstByte === undefined || firstToken === undefined || transits.length !== job.expectedChunks) return resolve(undefined);
        resolve({ firstByte, firstToken, total, transits });
      });
      response.on('error', () => resolve(undefined));
    });
    outgoing.on('error', () => resolve(undefined));
    outgoing.end(body);
  });
}

async function streams(job: Extract<LoadJob, { kind: 'stream' }>, agent: Agent, seconds: number): Promise<StreamRunResult> {
  const nextBody = bodies(job.target);
  const samples: StreamSample[] = [];
  let errors = 0;
  const startedAt = performance.now();
  const deadline = startedAt + seconds * 1000;
  const client = async () => {
    while (performance.now() < deadline) {
      const sample = await oneStream(job, agent, nextBody());
      if (sample === undefined) {
        errors += 1;
        await sleep(5);
      } else samples.push(sample);
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, client));
  const elapsed = (performance.now() - startedAt) / 1000;
  const transits: number[] = [];
  for (const sample of samples) for (const transit of sample.transits) transits.push(transit);
  const firstBytes = samples.map((sample) => sample.firstByte);
  const firstTokens = samples.map((sample) => sample.firstToken);
  const totals = samples.map((sample) => sample.total);
  return {
    kind: 'stream',
    ok: samples.length,
    errors,
    seconds: elapsed,
    streamsPerSecond: samples.length / elapsed,
    chunksPerStream: samples.length === 0 ? 0 : transits.length / samples.length,
    firstByteMs: summarize(firstBytes),
    firstTokenMs: summarize(firstTokens),
    totalMs: summarize(totals),
    chunkTransitMs: summarize(transits),
    samples: { firstByte: firstBytes, firstToken: firstTokens, total: totals, transit: transits },
  };
}

/**
 * One result from several rounds of the same job: counts and durations add up, percentiles
 * are recomputed over all the rounds' samples, and the raw samples are dropped.
 */
export function mergeRounds(rounds: LoadResult[]): LoadResult {
  const first = rounds[0];
  if (first === undefined) throw new Error('no rounds to merge');
  const seconds = rounds.reduce((total, round) => total + round.seconds, 0);
  const ok = rounds.reduce((total, round) => total + round.ok, 0);
  const errors = rounds.reduce((total, round) => total + round.errors, 0);
  if (first.kind === 'stream') {
    const streams = rounds as StreamRunResult[];
    const all = (pick: (samples: NonNullable<StreamRunResult['samples']>) => number[]) => streams.flatMap((round) => (round.samples ? pick(round.samples) : []));
    const transit = all((samples) => samples.transit);
    return {
      kind: 'stream',
      ok,
      errors,
      seconds,
      streamsPerSecond: ok / seconds,
      chunksPerStream: ok === 0 ? 0 : transit.length / ok,
      firstByteMs: summarize(all((samples) => samples.firstByte)),
      firstTokenMs: summarize(all((samples) => samples.firstToken)),
      totalMs: summarize(all((samples) => samples.total)),
      chunkTransitMs: summarize(transit),
    };
  }
  const requests = rounds as RequestRunResult[];
  return {
    kind: first.kind,
    ok,
    non2xx: requests.reduce((total, round) => total + round.non2xx, 0),
    errors,
    seconds,
    throughputRps: ok / seconds,
    latencyMs: summarize(requests.flatMap((round) => round.samples ?? [])),
    ...(first.kind === 'paced' ? { sendLagP99Ms: Math.max(...requests.map((round) => round.sendLagP99Ms ?? 0)) } : {}),
  };
}

/** Runs a job in this thread: warm-up, then `onMeasuring()`, then the measured phase. */
export async function runJob(job: LoadJob, onMeasuring: () => void): Promise<LoadResult> {
  if (job.kind === 'max') {
    if (job.warmupSeconds > 0) await maxRun(job, job.warmupSeconds);
    onMeasuring();
    return maxRun(job, job.seconds);
  }
  const agent = new Agent({ keepAlive: true, maxSockets: job.kind === 'paced' ? job.connections : job.concurrency, maxFreeSockets: 256, scheduling: 'fifo' });
  try {
    if (job.kind === 'paced') {
      if (job.warmupSeconds > 0) await paced(job, agent, job.warmupSeconds, false);
      onMeasuring();
      return await paced(job, agent, job.seconds, true);
    }
    if (job.warmupSeconds > 0) await streams(job, agent, job.warmupSeconds);
    onMeasuring();
    return await streams(job, agent, job.seconds);
  } finally {
    agent.destroy();
  }
}

type WorkerMessage = { type: 'measuring' } | { type: 'result'; result: LoadResult } | { type: 'error'; message: string };

/** Runs a job in a fresh worker thread. `onMeasuring` is called when its measured phase starts. */
export function runInWorker(job: LoadJob, onMeasuring: () => void): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { benchLoadJob: job } });
    let settled = false;
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'measuring') onMeasuring();
      else if (message.type === 'result') {
        settled = true;
        resolve(message.result);
      } else {
        settled = true;
        reject(new Error(message.message));
      }
    });
    worker.on('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`load worker exited with code ${code} before answering`));
    });
  });
}

if (!isMainThread && parentPort !== null && (workerData as { benchLoadJob?: LoadJob } | undefined)?.benchLoadJob !== undefined) {
  const port = parentPort;
  const job = (workerData as { benchLoadJob: LoadJob }).benchLoadJob;
  runJob(job, () => port.postMessage({ type: 'measuring' } satisfies WorkerMessage)).then(
    (result) => {
      port.postMessage({ type: 'result', result } satisfies WorkerMessage);
      // Keep-alive sockets and autocannon timers may linger: the job is over.
      setImmediate(() => process.exit(0));
    },
    (error: unknown) => {
      port.postMessage({ type: 'error', message: (error as Error)?.stack ?? String(error) } satisfies WorkerMessage);
      setImmediate(() => process.exit(1));
    },
  );
}
