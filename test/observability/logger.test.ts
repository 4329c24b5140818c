import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../src/observability/logger.js';

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
