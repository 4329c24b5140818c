import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { parseConfiguration } from '../../src/config/load.js';
import { buildEnvoyBootstrap, renderEnvoyBootstrap } from '../../src/config/render-envoy.js';
import { buildRuntimeView } from '../../src/config/runtime.js';
import { freePort, freePortRange } from './free-port.js';

/** The package root, from dist/test/support. */
export const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

export function envoyBinary(): string {
  const fromEnvironment = process.env.ENVOY_BIN;
  if (fromEnvironment && existsSync(fromEnvironment)) return fromEnvironment;
  const local = join(PACKAGE_ROOT, '.envoy/pip/envoy/_bin/envoy');
  if (existsSync(local)) return local;
  throw new Error('no Envoy binary: run the tests through `make test`, which installs it, or set ENVOY_BIN');
}

export interface HarnessOptions {
  /** providers and models sections of the gateway configuration. */
  providers: Record<string, unknown>;
  models: Record<string, unknown>;
  /** Environment for the sidecar (provider keys). */
  environment?: Record<string, string>;
  maxRequestBytes?: number;
  /** The resilience section (retries, outlier detection); defaults apply when absent. */
  resilience?: Record<string, unknown>;
  /** Governance, keys and price overrides (issue 5 and 6 sections of the configuration). */
  governance?: Record<string, unknown>;
  keys?: Record<string, unknown>[];
  prices?: Record<string, unknown>;
  /** Capability overrides ("<provider>/<model>" -> fields of config/capabilities.yaml). */
  capabilities?: Record<string, unknown>;
  /** The top-level cache section (the response cache's store). */
  cache?: Record<string, unknown>;
  /** The top-level guardrails section (named guardrails that models and keys attach). */
  guardrails?: Record<string, unknown>;
  /** Routes: model names whose model is chosen per request by rules (src/routing/). */
  routes?: Record<string, unknown>;
  /**
   * Keep every line the sidecar and Envoy print (default), or only the last 64 KiB, for
   * long benchmark runs: a log growing by hundreds of MB costs the benchmark process CPU
   * that the gateway's side would pay for. Secrets are checked either way.
   */
  retainLogs?: boolean;
  /** Sees every chunk the sidecar writes (stdout and stderr), e.g. to count its log lines over a long run without keeping them. */
  onSidecarOutput?: (chunk: Buffer) => void;
  /** More command-line arguments for Envoy (e.g. a short --drain-time-s). */
  envoyArguments?: string[];
  /** sidecar.admin_bind_address, e.g. 0.0.0.0 for a Kubernetes pod's shape (gRPC stays on 127.0.0.1). */
  sidecarAdminBindAddress?: string;
  /**
   * Edits the rendered Envoy bootstrap before Envoy starts, for faults a generated bootstrap
   * never has (a cluster the sidecar routes to that Envoy does not know, as after a stale render).
   */
  editBootstrap?: (bootstrap: Record<string, unknown>) => void;
  /**
   * sidecar.workers: sidecar worker processes behind Envoy's sidecar cluster. Defaults to the
   * TEST_SIDECAR_WORKERS environment variable, else 1, so the whole suite can run with 2.
   */
  sidecarWorkers?: number;
  /**
   * sidecar.pass_through_observability_mode (needs one sidecar worker). Defaults to the
   * TEST_PASS_THROUGH_OBSERVABILITY environment variable (1: on), so the suite can run with it.
   */
  passThroughObservabilityMode?: boolean;
}

/** The sidecar workers a test's gateway runs with: its own choice, else TEST_SIDECAR_WORKERS, else 1. */
export function sidecarWorkersFor(options: Pick<HarnessOptions, 'sidecarWorkers'>): number {
  return options.sidecarWorkers ?? (Number(process.env.TEST_SIDECAR_WORKERS ?? 1) || 1);
}

export interface GatewayHarness {
  readonly baseURL: string;
  readonly listenerPort: number;
  readonly sidecarAdminPort: number;
  readonly envoyAdminPort: number;
  /** Envoy's listener that serves only /stats/prometheus. */
  readonly envoyMetricsPort: number;
  readonly configPath: string;
  sidecarLogs(): string;
  envoyLogs(): string;
  /** All sidecar log lines parsed as JSON. */
  sidecarLogLines(): Record<string, unknown>[];
  killSidecar(signal?: NodeJS.Signals): Promise<void>;
  /** Kills Envoy (SIGKILL by default: a crash, every ext_proc stream reset) and waits for it to exit. */
  killEnvoy(signal?: NodeJS.Signals): Promise<void>;
  /** Starts Envoy again with the same bootstrap and waits until it is ready. */
  startEnvoy(): Promise<void>;
  /** Sends a signal to the sidecar's process group (every worker with it), without waiting for it to exit. */
  signalSidecar(signal: NodeJS.Signals): void;
  /** Resolves when the sidecar process has exited (after a signal). */
  sidecarExited(): Promise<number | null>;
  /** Envoy's admin /stats as name -> value, for the facts Envoy owns (retries, ejections). */
  envoyStats(): Promise<Map<string, number>>;
  startSidecar(): Promise<void>;
  sidecarMetrics(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the real thing on free loopback ports: the sidecar as its own process (so tests
 * can kill it) and the real Envoy binary with a bootstrap rendered from the same
 * configuration, exactly as `make run` does.
 */
export async function startGateway(options: HarnessOptions): Promise<GatewayHarness> {
  const workers = sidecarWorkersFor(options);
  const [listenerPort, grpcPort, sidecarAdminPort, envoyAdminPort, envoyMetricsPort] = await Promise.all([freePort(), freePortRange(workers), freePort(), freePort(), freePort()]);
  const directory = mkdtempSync(join(tmpdir(), 'llm-gateway-test-'));
  const configuration = {
    listener: { address: '127.0.0.1', port: listenerPort, ...(options.maxRequestBytes ? { max_request_bytes: options.maxRequestBytes } : {}) },
    sidecar: {
      address: '127.0.0.1',
      bind_address: '127.0.0.1',
      ...(options.sidecarAdminBindAddress ? { admin_bind_address: options.sidecarAdminBindAddress } : {}),
      grpc_port: grpcPort,
      admin_port: sidecarAdminPort,
      ...(workers > 1 ? { workers } : {}),
      ...((options.passThroughObservabilityMode ?? process.env.TEST_PASS_THROUGH_OBSERVABILITY === '1') ? { pass_through_observability_mode: true } : {}),
    },
    envoy: { admin_port: envoyAdminPort, metrics_port: envoyMetricsPort },
    ...(options.resilience ? { resilience: options.resilience } : {}),
    // Most tests are about something else than keys: they open the gateway on purpose, as an operator would.
    // The default store's file goes with this gateway's configuration, never into the working directory.
    governance: { mode: 'open', sqlite: { path: join(directory, 'gateway.db') }, ...(options.governance ?? {}) },
    ...(options.keys ? { keys: options.keys } : {}),
    ...(options.prices ? { prices: options.prices } : {}),
    ...(options.capabilities ? { capabilities: options.capabilities } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
    ...(options.guardrails ? { guardrails: options.guardrails } : {}),
    ...(options.routes ? { routes: options.routes } : {}),
    providers: options.providers,
    models: options.models,
  };
  const configPath = join(directory, 'gateway.yaml');
  const configText = stringify(configuration);
  writeFileSync(configPath, configText);
  const view = buildRuntimeView(parseConfiguration(configText, {}), { environment: {} });
  const bootstrapPath = join(directory, 'envoy.yaml');
  if (options.editBootstrap) {
    const bootstrap = buildEnvoyBootstrap(view);
    options.editBootstrap(bootstrap);
    writeFileSync(bootstrapPath, stringify(bootstrap, { aliasDuplicateObjects: false }));
  } else {
    writeFileSync(bootstrapPath, renderEnvoyBootstrap(view, { header: 'test' }));
  }

  const secrets = options.environment ?? {};
  const sidecarLog = new ProcessOutput(options.retainLogs ?? true, secrets);
  const envoyLog = new ProcessOutput(options.retainLogs ?? true, secrets);
  let sidecar: ChildProcess | undefined;
  const startSidecar = async () => {
    const readyBefore = countOf(sidecarLog.text, WORKERS_READY);
    sidecar = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist/src/main.js')], {
      env: { PATH: process.env.PATH ?? '', GATEWAY_CONFIG: configPath, LOG_LEVEL: 'debug', ...options.environment },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: signalSidecar reaches every sidecar worker too (SIGSTOP freezes them all).
      detached: true,
    });
    const onOutput = options.onSidecarOutput;
    sidecar.stdout!.on('data', (chunk: Buffer) => {
      sidecarLog.append(chunk);
      onOutput?.(chunk);
    });
    sidecar.stderr!.on('data', (chunk: Buffer) => sidecarLog.append(chunk));
    await waitFor(`sidecar on :${sidecarAdminPort}`, async () => (await fetch(`http://127.0.0.1:${sidecarAdminPort}/healthz`)).ok, () => sidecarLog.text);
    // With workers, the admin port answers once one worker listens; Envoy's streams need every one.
    if (workers > 1) await waitFor(`${workers} sidecar workers`, () => countOf(sidecarLog.text, WORKERS_READY) > readyBefore, () => sidecarLog.text);
  };
  const killSidecar = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const child = sidecar;
    // A child ended by a signal keeps exitCode null; it has exited all the same.
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolveExit) => {
      child.once('exit', () => resolveExit());
      // The whole sidecar: with workers, they go down with the primary (a sidecar that is down).
      process.kill(-child.pid!, signal);
    });
  };

  // Resolved first: a missing binary must fail the test, not leave a started sidecar keeping it alive.
  const envoyPath = envoyBinary();
  await startSidecar();
  let envoy: ChildProcess;
  const startEnvoy = async () => {
    envoy = spawn(envoyPath, ['-c', bootstrapPath, '--disable-hot-restart', '--log-level', process.env.TEST_ENVOY_LOG_LEVEL ?? 'warn', ...(process.env.TEST_ENVOY_LOG_PATH ? ['--log-path', process.env.TEST_ENVOY_LOG_PATH] : []), '--concurrency', '1', '--file-flush-interval-msec', '100', ...(options.envoyArguments ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    envoy.stdout!.on('data', (chunk: Buffer) => envoyLog.append(chunk));
    envoy.stderr!.on('data', (chunk: Buffer) => envoyLog.append(chunk));
    await waitFor(`envoy on :${envoyAdminPort}`, async () => (await fetch(`http://127.0.0.1:${envoyAdminPort}/ready`)).ok, () => envoyLog.text);
  };
  const killEnvoy = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const child = envoy;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolveExit) => {
      child.once('exit', () => resolveExit());
      child.kill(signal);
    });
  };
  try {
    await startEnvoy();
  } catch (error) {
    envoy!.kill('SIGKILL');
    await killSidecar();
    throw error;
  }

  return {
    baseURL: `http://127.0.0.1:${listenerPort}/v1`,
    listenerPort,
    sidecarAdminPort,
    envoyAdminPort,
    envoyMetricsPort,
    configPath,
    sidecarLogs: () => sidecarLog.text,
    envoyLogs: () => envoyLog.text,
    sidecarLogLines: () =>
      sidecarLog.text
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    killSidecar,
    startSidecar,
    killEnvoy,
    startEnvoy,
    signalSidecar: (signal) => {
      if (sidecar?.pid !== undefined && sidecar.exitCode === null && sidecar.signalCode === null) process.kill(-sidecar.pid, signal);
    },
    sidecarExited: () =>
      new Promise((resolveExit) => {
        const child = sidecar;
        if (!child || child.exitCode !== null) return resolveExit(child?.exitCode ?? null);
        child.once('exit', (code) => resolveExit(code));
      }),
    envoyStats: async () => {
      const text = await (await fetch(`http://127.0.0.1:${envoyAdminPort}/stats?format=json`)).text();
      const stats = (JSON.parse(text) as { stats: { name?: string; value?: number }[] }).stats;
      return new Map(stats.filter((stat) => stat.name !== undefined && typeof stat.value === 'number').map((stat) => [stat.name!, stat.value!]));
    },
    sidecarMetrics: async () => (await fetch(`http://127.0.0.1:${sidecarAdminPort}/metrics`)).text(),
    async stop() {
      await killEnvoy('SIGTERM');
      await killSidecar('SIGTERM');
      // Every e2e suite ends here: no configured secret (provider keys, the admin key, a Redis password) may be in any log line.
      sidecarLog.assertNoSecret();
      envoyLog.assertNoSecret();
    },
  };
}

/** The primary's line once every sidecar worker is ready (src/workers/run-sidecar-workers.ts). */
const WORKERS_READY = '"msg":"sidecar workers ready"';

function countOf(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count += 1;
  return count;
}

/** A child process's output: all of it, or the tail, with every chunk checked for secrets as it arrives. */
export class ProcessOutput {
  static readonly TAIL = 64 * 1024;
  /** Longer than any secret: a secret split across two chunks is still seen whole. */
  static readonly OVERLAP = 1024;
  readonly #retain: boolean;
  readonly #secrets: Record<string, string>;
  #text = '';
  #leak: Error | undefined;

  constructor(retain: boolean, secrets: Record<string, string>) {
    this.#retain = retain;
    this.#secrets = secrets;
  }

  get text(): string {
    return this.#text;
  }

  append(chunk: Buffer): void {
    const added = chunk.toString();
    if (this.#retain) {
      this.#text += added;
      return;
    }
    const window = this.#text.slice(-ProcessOutput.OVERLAP) + added;
    try {
      assertNoSecretInLogs(window, this.#secrets);
    } catch (error) {
      this.#leak ??= error as Error;
    }
    this.#text = (this.#text + added).slice(-ProcessOutput.TAIL);
  }

  assertNoSecret(): void {
    if (this.#leak) throw this.#leak;
    assertNoSecretInLogs(this.#text, this.#secrets);
  }
}

/** Throws naming the variable whose value appears in the logs. */
export function assertNoSecretInLogs(logs: string, environment: Record<string, string>): void {
  for (const [name, value] of Object.entries(environment)) {
    const secrets = [value];
    // A URL's password is the secret part of it.
    const password = /^[a-z]+:\/\/[^:@/]*:([^@/]+)@/.exec(value)?.[1];
    if (password) secrets.push(password);
    for (const secret of secrets) {
      if (secret.length >= 8 && !/^(https?|rediss?):\/\/[^@]*$/.test(secret) && logs.includes(secret)) {
        throw new Error(`the value of ${name} appears in the sidecar or Envoy logs`);
      }
    }
  }
}

/** Polls until check() is true (errors count as false), for at most timeoutMs. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, output: () => string = () => '', timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${output().slice(-3000)}`);
    await new Promise((resolveTimer) => setTimeout(resolveTimer, 50));
  }
}
