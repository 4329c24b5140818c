import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/free-port.js';
import type { HttpTarget } from './load.js';

/**
 * Portkey's open-source gateway (npm `@portkey-ai/gateway`), the peer the issue 17 targets
 * are ratios against. `make bench` installs it into `.bench/peers` from
 * `bench/peers-package.json` (version and the @hono pins its streaming needs), never into the
 * project's node_modules; the tests never need it.
 */
const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** The version bench/peers-package.json pins (1.15.2), the one source of it. */
export const PORTKEY_VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'bench/peers-package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies['@portkey-ai/gateway']!;

/** Where `make bench` installs the peers (BENCH_PEERS_DIR overrides). */
export function peersDirectory(): string {
  return process.env.BENCH_PEERS_DIR ?? join(PACKAGE_ROOT, '.bench/peers');
}

/** The installed package's directory, or undefined when it is missing or another version. */
export function installedPortkey(directory = peersDirectory()): string | undefined {
  const packageDir = join(directory, 'node_modules/@portkey-ai/gateway');
  try {
    const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version?: string }).version;
    return version === PORTKEY_VERSION && existsSync(join(packageDir, 'build/start-server.js')) ? packageDir : undefined;
  } catch {
    return undefined;
  }
}

export interface PortkeyProcess {
  port: number;
  pid: number;
  /**
   * A client request to Portkey for `provider`, pointed at the mock (x-portkey-custom-host;
   * loopback hosts pass its SSRF check by default). `body` is an OpenAI Chat Completions
   * request; for `anthropic` Portkey translates it to Anthropic Messages and back.
   */
  target(provider: 'openai' | 'anthropic', body: string): HttpTarget;
  stop(): Promise<void>;
}

/**
 * Starts `node build/start-server.js --port=N --headless` (NODE_ENV=production) on a free
 * port and waits until it accepts connections (it binds every interface; there is no host
 * flag). It makes no outbound connection at start-up, and none to Redis without
 * REDIS_CONNECTION_STRING. Throws when it is not installed or does not listen within 20 s.
 */
export async function startPortkey(mockPort: number, directory = peersDirectory()): Promise<PortkeyProcess> {
  const packageDir = installedPortkey(directory);
  if (packageDir === undefined) throw new Error(`Portkey ${PORTKEY_VERSION} is not installed in ${directory}: \`make bench\` installs it (from bench/peers-package.json)`);
  const port = await freePort();
  const environment: Record<string, string | undefined> = { ...process.env, NODE_ENV: 'production' };
  delete environment.NODE_OPTIONS;
  delete environment.REDIS_CONNECTION_STRING;
  const child: ChildProcess = spawn(process.execPath, ['build/start-server.js', `--port=${port}`, '--headless'], { cwd: packageDir, env: environment, stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4000)));
  const stop = () =>
    new Promise<void>((resolveStop) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
      child.once('exit', () => resolveStop());
      child.kill('SIGTERM');
    });
  const deadline = Date.now() + 20_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null) throw new Error(`Portkey exited with ${child.exitCode}: ${errors}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Portkey did not listen on :${port} within 20 s: ${errors}`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  return {
    port,
    pid: child.pid!,
    target: (provider, body) => ({
      host: '127.0.0.1',
      port,
      path: '/v1/chat/completions',
      headers: {
        'content-type': 'application/json',
        'x-portkey-provider': provider,
        'x-portkey-custom-host': `http://127.0.0.1:${mockPort}/v1`,
        authorization: provider === 'openai' ? 'Bearer sk-bench-openai-key' : 'Bearer sk-ant-bench-key',
      },
      body,
    }),
    stop,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolveAccepts) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolveAccepts(true);
    });
    socket.once('error', () => resolveAccepts(false));
  });
}
