import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { test } from 'node:test';
import { relayEnvoyOutput } from '../../src/cli/relay-envoy-output.js';
import { createLogger } from '../../src/observability/logger.js';

function relay() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const relayed = relayEnvoyOutput({ stdout, stderr }, createLogger({ level: 'trace', service: 'envoy', destination }));
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { lines, stdout, stderr, relayed, settle };
}

test("Envoy's JSON access log lines become envoy info lines, without the fields Envoy left empty", async () => {
  const { lines, stdout, settle } = relay();
  stdout.write('{"time":"2026-11-30T02:40:05.303Z","method":"POST","path":"/v1/chat/completions","status":200,"duration_ms":927,"flags":"-","model":"demo","key_alias":null}\n');
  await settle();
  assert.equal(lines.length, 1);
  const { time, ...line } = lines[0]!;
  assert.ok(typeof time === 'string');
  assert.deepEqual(line, {
    level: 'info',
    service: 'envoy',
    start_time: '2026-11-30T02:40:05.303Z',
    method: 'POST',
    path: '/v1/chat/completions',
    status: 200,
    duration_ms: 927,
    model: 'demo',
    msg: 'POST /v1/chat/completions 200 (927 ms)',
  });
});

test("Envoy's own log entries keep their level and logger, unescaped; the last problems are kept for explaining an exit", async () => {
  const { lines, stderr, relayed, settle } = relay();
  stderr.write('warning|main|caught ENVOY_SIGTERM\n');
  stderr.write("error|config|listener \\'gateway\\' failed to bind: cannot bind \\'127.0.0.1:8080\\': Address already in use\n");
  stderr.write("critical|main|error initializing config \\'goo.gle/debugstr\\n  x.yaml\\'\n");
  stderr.write("cannot bind '127.0.0.1:8080': Address already in use\n");
  await settle();
  assert.deepEqual(
    lines.map((line) => [line.level, line.component, line.msg]),
    [
      ['warn', 'main', 'caught ENVOY_SIGTERM'],
      ['error', 'config', "listener 'gateway' failed to bind: cannot bind '127.0.0.1:8080': Address already in use"],
      ['fatal', 'main', "error initializing config 'goo.gle/debugstr\n  x.yaml'"],
      ['error', undefined, "cannot bind '127.0.0.1:8080': Address already in use"],
    ],
  );
  assert.deepEqual(relayed.lastProblems(), [
    "listener 'gateway' failed to bind: cannot bind '127.0.0.1:8080': Address already in use",
    "error initializing config 'goo.gle/debugstr\n  x.yaml'",
    "cannot bind '127.0.0.1:8080': Address already in use",
  ]);
});
