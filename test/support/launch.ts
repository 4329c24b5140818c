import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './free-port.js';
import { envoyBinary, PACKAGE_ROOT } from './gateway-harness.js';

/** The ports of a `make run` configuration, all free unless a test takes one. */
export interface RunPorts {
  listener: number;
  grpc: number;
  admin: number;
  envoyAdmin: number;
  envoyMetrics: number;
  demo: number;
}

export async function freeRunPorts(): Promise<RunPorts> {
  const [listener, grpc, admin, envoyAdmin, envoyMetrics, demo] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  return { listener, grpc, admin, envoyAdmin, envoyMetrics, demo };
}

/** Writes a `make run` configuration (a demo model on the given ports) into a new directory; returns its path. */
export function writeRunConfiguration(ports: RunPorts, extraProviders: Record<string, unknown> = {}): string {
  const directory = mkdtempSync(join(tmpdir(), 'llm-gateway-run-'));
  const configPath = join(directory, 'gateway.yaml');
  writeFileSync(
    configPath,
    stringify({
      listener: { port: ports.listener },
      sidecar: { grpc_port: ports.grpc, admin_port: ports.admin },
      envoy: { admin_port: ports.envoyAdmin, metrics_port: ports.envoyMetrics },
      // Open on purpose, as the shipped demo configuration is: these tests are about starting up, not keys.
      governance: { mode: 'open', sqlite: { path: join(directory, 'gateway.db') } },
      providers: { demo: { kind: 'openai', base_url: `http://127.0.0.1:${ports.demo}/v1`, demo: true }, ...extraProviders },
      models: { demo: { provider: 'demo', model: 'demo-echo' } },
    }),
  );
  return configPath;
}

/** Listens on a port, as another process would, until released. */
export async function holdPort(port: number): Promise<{ release(): Promise<void> }> {
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  return { release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a gateway program (`dist/src/cli/run-local.js` is what `make run` runs;
 * `dist/src/cli/gateway.js serve` is the container's entry point) and resolves when it exits.
 * One that is still running after `patienceMs` has hung: it is killed and the promise rejects.
 */
export function runToExit(args: string[], environment: Record<string, string>, patienceMs = 120_000): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args.map((arg, index) => (index === 0 ? join(PACKAGE_ROOT, arg) : arg)), {
      env: { PATH: process.env.PATH ?? '', ENVOY_BIN: envoyBinary(), ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      // SIGTERM first, so a launcher stops the Envoy it started.
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      reject(new Error(`${args.join(' ')} did not exit: it hangs instead of failing\n${stderr}\n${stdout.slice(-3000)}`));
    }, patienceMs);
    // 'close', not 'exit': it comes once the pipes have given their last lines.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
