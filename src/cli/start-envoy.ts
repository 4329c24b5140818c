import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Configuration } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { explainEnvoyFailure } from './explain-envoy-failure.js';
import { ENVOY_LOG_FORMAT, relayEnvoyOutput, type EnvoyOutputRelay } from './relay-envoy-output.js';

export interface StartEnvoyOptions {
  envoyBin: string;
  bootstrapPath: string;
  /** Envoy's own log level (--log-level). */
  logLevel: string;
  /** Receives Envoy's access log and its own log lines. */
  logger: Logger;
  /** The configuration the bootstrap was rendered from, and its file: to name a port Envoy could not bind. */
  configuration: Configuration;
  source: string;
}

export interface EnvoyProcess {
  /**
   * Resolves once Envoy serves: its admin interface, at the address Envoy itself wrote
   * (--admin-address-path, so a ready answer from some other process on the same port never
   * counts), answers /ready with 200. Rejects with a StartupError saying why when Envoy exits
   * first (a port in use names the port and the setting).
   */
  readonly ready: Promise<void>;
  /** Envoy's exit status once it has exited (null when it was killed by a signal or never ran). */
  readonly exited: Promise<number | null>;
  readonly relay: EnvoyOutputRelay;
  /** SIGTERM, then SIGKILL if Envoy is still running after a few seconds. */
  stop(): Promise<void>;
}

const POLL_MS = 50;
const SLOW_START_MS = 15_000;

/**
 * Starts Envoy, its output going through `options.logger`. Returns at once, so the caller
 * can stop Envoy even while it is still starting; `ready` says when it serves.
 */
export function startEnvoy(options: StartEnvoyOptions): EnvoyProcess {
  const directory = mkdtempSync(join(tmpdir(), 'llm-gateway-envoy-'));
  const adminAddressPath = join(directory, 'admin-address');
  const child = spawn(
    options.envoyBin,
    [
      ...['-c', options.bootstrapPath, '--disable-hot-restart', '--log-level', options.logLevel],
      ...['--log-format', ENVOY_LOG_FORMAT, '--log-format-escaped', '--admin-address-path', adminAddressPath],
      // Access log lines show up within a quarter second instead of Envoy's default of ten.
      ...['--file-flush-interval-msec', '250'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const relay = relayEnvoyOutput({ stdout: child.stdout, stderr: child.stderr }, options.logger);
  let running = true;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (error) => {
      options.logger.error({ err: error }, `cannot run ${options.envoyBin}`);
      resolve(null);
    });
  }).finally(() => {
    running = false;
    rmSync(directory, { recursive: true, force: true });
  });
  const stop = async () => {
    if (!running) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };

  const ready = Promise.race([waitUntilReady(adminAddressPath, () => running, options.logger), exited.then(() => false)]).then(async (served) => {
    if (served && running) return;
    throw explainEnvoyFailure(relay.lastProblems(), await exited, options.configuration, options.source);
  });
  return { ready, exited, relay, stop };
}

async function waitUntilReady(adminAddressPath: string, running: () => boolean, logger: Logger): Promise<boolean> {
  const startedAt = Date.now();
  let warned = false;
  let lastAnswer = 'no admin address yet';
  while (running()) {
    const address = readAddress(adminAddressPath);
    if (address !== undefined) {
      try {
        const response = await fetch(`http://${address}/ready`, { signal: AbortSignal.timeout(2000) });
        lastAnswer = `${response.status} ${(await response.text()).trim()}`;
        if (response.ok) return true;
      } catch (error) {
        lastAnswer = (error as Error).message;
      }
    }
    if (!warned && Date.now() - startedAt > SLOW_START_MS) {
      warned = true;
      logger.warn(`Envoy is not ready after ${SLOW_START_MS / 1000} s (admin /ready: ${lastAnswer}); still waiting`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return false;
}

function readAddress(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
