import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';

export interface RedisServer {
  readonly port: number;
  /** redis://127.0.0.1:<port>, with the password when one was asked for. */
  readonly url: string;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** Started with --requirepass. */
  password?: string;
  /** A fixed port (to restart a server where a client expects it); a free one otherwise. */
  port?: number;
}

/**
 * A throwaway redis-server on a free loopback port, persisting nothing, for tests that need
 * a real Redis. Always stop() it (an after hook).
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  let lastError: unknown;
  // The free port can be taken between choosing it and binding it; try another.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = options.port ?? (await freePort());
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'];
    if (options.password !== undefined) args.push('--requirepass', options.password);
    const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await untilAnswering(port, child);
    } catch (error) {
      lastError = new Error(`redis-server on port ${port} did not start: ${error instanceof Error ? error.message : String(error)} ${stderr}`);
      await stopChild(child);
      continue;
    }
    const credentials = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
    return { port, url: `redis://${credentials}127.0.0.1:${port}`, stop: () => stopChild(child) };
  }
  throw lastError;
}

/** Up once anything answers PING (+PONG, or -NOAUTH with a password). */
async function untilAnswering(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    if (await answersPing(port)) return;
    await sleep(20);
  }
  throw new Error('no answer to PING within 5 s');
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (answered: boolean): void => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => finish(/^[+-]/.test(data.toString())));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  // The grace timer is unref'd so a prompt exit does not leave the test process waiting on it.
  const stopped = await Promise.race([exited.then(() => true), sleep(3000, undefined, { ref: false }).then(() => false)]);
  if (!stopped) {
    child.kill('SIGKILL');
    await exited;
  }
}
