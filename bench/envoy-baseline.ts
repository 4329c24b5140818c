import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfiguration } from '../src/config/load.js';
import { buildEnvoyBootstrap, SIDECAR_CLUSTER } from '../src/config/render-envoy.js';
import { ROUTE_HEADER } from '../src/config/envoy-contract.js';
import { buildRuntimeView, type RuntimeView } from '../src/config/runtime.js';
import { envoyBinary, waitFor } from '../test/support/gateway-harness.js';

/**
 * The baseline: the same Envoy binary, rendered from the same gateway configuration by the
 * gateway's own renderer (same listener, HTTP connection manager, route, retry policy,
 * clusters, circuit breakers, access log, buffer limits), with the gateway taken out:
 *
 * - the ext_proc filters (the router's in the HCM, the attempt's upstream one) are removed,
 *   and so are the header_mutation filter that only carries the attempt's content-length and
 *   the buffer filter that reads the whole request before the sidecar sees it;
 * - the sidecar cluster is removed, and so are the model clusters' health checks (they ask
 *   the sidecar whether a target has a key) and the runtime layer (its one key is an ext_proc
 *   setting);
 * - the client names the cluster itself, in the same routing header the sidecar would write.
 *
 * So the difference between the two runs is what the gateway adds: the sidecar's work and
 * the ext_proc round trips, nothing else.
 */

const REMOVED_HTTP_FILTERS = new Set(['envoy.filters.http.ext_proc', 'envoy.filters.http.header_mutation', 'envoy.filters.http.buffer']);

/** The header a baseline client sends to pick the model's cluster (the sidecar writes it in the gateway). */
export const BASELINE_ROUTE_HEADER = ROUTE_HEADER;

export function stripGateway(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripGateway);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    // Health checks ask the sidecar; the runtime layer only holds the ext_proc stream-close guard.
    if (key === 'health_checks' || key === 'layered_runtime') continue;
    if (key === 'http_filters' && Array.isArray(value)) {
      out[key] = value.filter((filter) => !REMOVED_HTTP_FILTERS.has((filter as { name?: string }).name ?? '')).map(stripGateway);
      continue;
    }
    if (key === 'clusters' && Array.isArray(value)) {
      out[key] = value.filter((cluster) => (cluster as { name?: string }).name !== SIDECAR_CLUSTER).map(stripGateway);
      continue;
    }
    out[key] = stripGateway(value);
  }
  return out;
}

/**
 * The baseline bootstrap for a gateway configuration (as given to startGateway), on the given
 * ports. Every port is given: a default one (the metrics listener's 9902) would collide with
 * any other gateway on the machine, and Envoy's listeners no longer share a port.
 */
export function buildBaselineBootstrap(configuration: Record<string, unknown>, ports: BaselinePorts): { bootstrap: Record<string, unknown>; view: RuntimeView } {
  const baselineConfiguration = {
    ...configuration,
    listener: { ...(configuration.listener as Record<string, unknown> | undefined), address: '127.0.0.1', port: ports.listener },
    envoy: { ...(configuration.envoy as Record<string, unknown> | undefined), admin_port: ports.admin, metrics_port: ports.metrics },
  };
  const view = buildRuntimeView(parseConfiguration(stringify(baselineConfiguration), {}), { environment: {} });
  const bootstrap = stripGateway(buildEnvoyBootstrap(view)) as Record<string, unknown>;
  const text = JSON.stringify(bootstrap);
  // Filter names and type URLs (the local replies still name ext_proc errors, which never occur here).
  for (const leftover of ['filters.http.ext_proc', SIDECAR_CLUSTER, 'header_mutation', 'filters.http.buffer']) {
    if (text.includes(leftover)) throw new Error(`baseline bootstrap still mentions ${leftover}`);
  }
  return { bootstrap, view };
}

export interface BaselinePorts {
  listener: number;
  admin: number;
  /** Envoy's metrics listener (unused by the benchmark, but bound). */
  metrics: number;
}

export interface BaselineEnvoy {
  readonly listenerPort: number;
  readonly adminPort: number;
  readonly pid: number;
  readonly bootstrapPath: string;
  /** The cluster a model's requests go to (the value of BASELINE_ROUTE_HEADER). */
  clusterFor(model: string): string;
  stop(): Promise<void>;
}

/** Starts Envoy with the baseline bootstrap, with the flags the gateway harness gives its Envoy. */
export async function startBaselineEnvoy(configuration: Record<string, unknown>, ports: BaselinePorts): Promise<BaselineEnvoy> {
  const { bootstrap, view } = buildBaselineBootstrap(configuration, ports);
  const directory = mkdtempSync(join(tmpdir(), 'llm-gateway-bench-baseline-'));
  const bootstrapPath = join(directory, 'envoy-baseline.json');
  writeFileSync(bootstrapPath, JSON.stringify(bootstrap, null, 2));
  const envoy: ChildProcess = spawn(envoyBinary(), ['-c', bootstrapPath, '--disable-hot-restart', '--log-level', process.env.TEST_ENVOY_LOG_LEVEL ?? 'warn', '--concurrency', '1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Read (and drop) the access log, as the gateway harness reads its Envoy's: the same pipe, the same cost to Envoy.
  let tail = '';
  const keepTail = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  envoy.stdout!.on('data', keepTail);
  envoy.stderr!.on('data', keepTail);
  try {
    await waitFor(`baseline envoy on :${ports.admin}`, async () => (await fetch(`http://127.0.0.1:${ports.admin}/ready`)).ok, () => tail);
  } catch (error) {
    envoy.kill('SIGKILL');
    throw error;
  }
  return {
    listenerPort: ports.listener,
    adminPort: ports.admin,
    pid: envoy.pid!,
    bootstrapPath,
    clusterFor: (model) => {
      const route = view.models.get(model);
      if (route === undefined) throw new Error(`no model ${model} in the baseline configuration`);
      return route.cluster;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (envoy.exitCode !== null) return resolve();
        envoy.once('exit', () => resolve());
        envoy.kill('SIGTERM');
      }),
  };
}
