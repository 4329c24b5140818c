import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, createPrettyDestination } from '../../src/observability/logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, logger: createLogger({ destination }) };
}

test('one JSON line per call, with level name, service and ISO time', () => {
  const { lines, logger } = capture();
  logger.info({ event: 'request', model: 'gpt' }, 'request finished');
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 'info');
  assert.equal(lines[0]!.service, 'llm-gateway');
  assert.equal(lines[0]!.model, 'gpt');
  assert.ok(!Number.isNaN(Date.parse(String(lines[0]!.time))));
});

test('credential fields are censored as a second line of defence', () => {
  const { lines, logger } = capture();
  logger.warn({ authorization: 'Bearer sk-1', headers: { authorization: 'Bearer sk-2', 'x-api-key': 'sk-3', accept: 'json' }, credential: 'sk-4', api_key: 'sk-5' }, 'oops');
  const text = JSON.stringify(lines);
  for (const secret of ['sk-1', 'sk-2', 'sk-3', 'sk-4', 'sk-5']) assert.ok(!text.includes(secret), `${secret} was logged`);
  assert.equal((lines[0]!.headers as Record<string, string>).accept, 'json');
});

test('stdout lines are batched, yet a line logged just before the process exits is written', async () => {
  const { execFileSync } = await import('node:child_process');
  const logger = new URL('../../src/observability/logger.js', import.meta.url).href;
  const script = `import(${JSON.stringify(logger)}).then(({ createLogger }) => { createLogger().info({ event: 'last' }, 'before exit'); process.exit(0); });`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(JSON.parse(output.trim()).event, 'last');
});

test('pretty lines are readable: time, level, whose line (sidecar or envoy), the message, then the fields', () => {
  let text = '';
  const destination = createPrettyDestination({ write: (chunk: string) => (text += chunk) }, { colorize: false });
  createLogger({ destination }).info({ grpc_port: 50051, models: ['demo'] }, 'sidecar ready');
  createLogger({ destination, service: 'envoy' }).warn({ component: 'main' }, 'caught ENVOY_SIGTERM');
  createLogger({ destination }).error({ err: new Error('boom') }, 'it failed');
  const lines = text.split('\n');
  assert.match(lines[0]!, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: sidecar \| sidecar ready \{"grpc_port":50051,"models":\["demo"\]\}$/);
  assert.match(lines[1]!, /^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: envoy {3}\| caught ENVOY_SIGTERM \{"component":"main"\}$/);
  assert.match(lines[2]!, /^\[\d\d:\d\d:\d\d\.\d{3}\] ERROR: sidecar \| it failed/);
  assert.match(text, /Error: boom\n\s+at /, 'an error is shown with its stack');
  assert.ok(!text.includes('"level"'), 'no JSON left');
});

test('pretty lines keep the redaction, and one logged just before the process exits is written', async () => {
  const { execFileSync } = await import('node:child_process');
  const logger = new URL('../../src/observability/logger.js', import.meta.url).href;
  const script = `import(${JSON.stringify(logger)}).then(({ createLogger }) => { createLogger({ format: 'pretty' }).info({ authorization: 'Bearer sk-9' }, 'before exit'); process.exit(0); });`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' } });
  assert.match(output, /INFO: sidecar \| before exit \{"authorization":"\[redacted\]"\}/);
});
