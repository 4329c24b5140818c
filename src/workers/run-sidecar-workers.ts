import cluster, { type Worker } from 'node:cluster';
import { performance } from 'node:perf_hooks';
import { AggregatorRegistry, Registry } from 'prom-client';
import type { CachedAnswer } from '../cache/cached-answer.js';
import { createResponseCache } from '../cache/create-response-cache.js';
import type { Environment } from '../config/runtime.js';
import type { Configuration } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { createGovernanceStore } from '../stores/create-governance-store.js';
import type { GovernanceStore } from '../stores/governance-store.js';
import { STORE_METHODS } from './ipc-governance-store.js';
import { relayWholeLines } from './relay-whole-lines.js';
import { isRelayed } from './share-pauses-between-workers.js';
import { answerWorkerCall } from './worker-channel.js';

/** The environment variable telling a forked process it is sidecar worker number n (0-based). */
export const WORKER_INDEX_VARIABLE = 'GATEWAY_WORKER_INDEX';

export interface SidecarWorkersOptions {
  configuration: Configuration;
  environment: Environment;
  logger: Logger;
  /** Milliseconds a worker has to drain on SIGTERM (GATEWAY_SHUTDOWN_GRACE_MS); the primary waits a little longer. */
  graceMs: number;
}

/**
 * The primary process of a sidecar with workers (sidecar.workers > 1). It serves no ext_proc
 * stream itself: it forks the workers (each serves gRPC on grpc_port + its index, and they
 * share admin_port through the cluster module), holds the governance store the workers reach
 * over IPC (SQLite or memory; with Redis each worker connects itself) and the memory response
 * cache store (cache.store: memory; the semantic index stays per worker), aggregates /metrics
 * across workers (prom-client's AggregatorRegistry), replaces a worker that dies, and on
 * SIGTERM drains them all before it exits. A worker that fails to start fails the whole start.
 */
export async function runSidecarWorkers(options: SidecarWorkersOptions): Promise<void> {
  const { configuration, environment, logger } = options;
  const count = configuration.sidecar.workers;
  // Opened before any worker, so a file in use by another gateway stops the start here.
  const store: GovernanceStore | undefined = configuration.governance.store === 'redis' ? undefined : createGovernanceStore(configuration, environment, Date.now());
  // The one memory cache store of every worker (cache.store: memory), with its copy on disk; its metrics stay here.
  const cache = configuration.cache.store === 'redis' ? undefined : createResponseCache(configuration, { registry: new Registry(), logger, clock: Date.now, now: () => performance.now(), environment });
  const aggregator = new AggregatorRegistry();
  // Structured clone: the store's answers keep their undefined fields. Silent: the workers' output
  // comes through the primary in whole lines (relayWholeLines), never two workers' lines mixed.
  cluster.setupPrimary({ serialization: 'advanced', silent: true });
  const ready = new Set<number>();
  let stopping = false;
  let started = false;

  const handle = async (method: string, args: readonly unknown[]): Promise<unknown> => {
    if (method === 'metrics') return aggregator.clusterMetrics();
    if (method === 'cache.get' && cache !== undefined) return cache.store.get(String(args[0]));
    if (method === 'cache.set' && cache !== undefined) return cache.store.set(String(args[0]), args[1] as CachedAnswer, Number(args[2]));
    const name = method.slice('store.'.length) as (typeof STORE_METHODS)[number];
    if (store === undefined || !method.startsWith('store.') || !STORE_METHODS.includes(name)) throw new Error(`unknown call ${method}`);
    return (store[name] as (...parameters: unknown[]) => Promise<unknown>)(...args);
  };

  const fork = (index: number): Worker => {
    const worker = cluster.fork({ [WORKER_INDEX_VARIABLE]: String(index) });
    if (worker.process.stdout) relayWholeLines(worker.process.stdout, process.stdout);
    if (worker.process.stderr) relayWholeLines(worker.process.stderr, process.stderr);
    worker.on('message', (message: unknown) => {
      if ((message as { ready?: unknown })?.ready === true) {
        ready.add(index);
        if (!started && ready.size === count) {
          started = true;
          logger.info({ workers: count, grpc_ports: `${configuration.sidecar.grpc_port}-${configuration.sidecar.grpc_port + count - 1}` }, 'sidecar workers ready');
        }
        return;
      }
      if (isRelayed(message)) {
        // A pause one worker learnt, or a key changed through its admin API: for every other worker.
        for (const other of Object.values(cluster.workers ?? {})) if (other !== undefined && other !== worker && other.isConnected()) other.send(message as object);
        return;
      }
      answerWorkerCall(message, handle, (reply) => {
        if (worker.isConnected()) worker.send(reply);
      });
    });
    worker.on('exit', (code, signal) => {
      ready.delete(index);
      if (stopping) return;
      if (!started) {
        // Its own stderr says why; the others are stopped and the start fails.
        stopping = true;
        logger.fatal({ worker: index, code, signal }, 'a sidecar worker could not start');
        for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGKILL');
        void closeAndExit(1);
        return;
      }
      logger.error({ worker: index, code, signal }, 'a sidecar worker died; starting another in its place');
      fork(index);
    });
    return worker;
  };

  const closeAndExit = async (status: number) => {
    await cache?.close();
    await store?.close();
    logger.flush();
    process.exit(status);
  };

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: count }, 'draining every sidecar worker');
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    let left = workers.length;
    if (left === 0) void closeAndExit(0);
    // A worker that has not finished draining in time is killed; the primary never waits forever.
    const deadline = setTimeout(() => {
      for (const worker of workers) worker.process.kill('SIGKILL');
    }, options.graceMs + 5_000);
    deadline.unref();
    for (const worker of workers) {
      worker.once('exit', () => {
        left -= 1;
        if (left === 0) void closeAndExit(0);
      });
      worker.process.kill('SIGTERM');
    }
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  for (let index = 0; index < count; index += 1) fork(index);
}
