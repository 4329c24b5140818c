import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { envoyBinary, PACKAGE_ROOT, waitFor } from '../support/gateway-harness.js';
import { freeRunPorts, runToExit, writeRunConfiguration, type RunPorts } from '../support/launch.js';
import { join } from 'node:path';

/**
 * What `make run` starts (dist/src/cli/run-local.js): demo upstream + sidecar + Envoy,
 * here on free ports instead of 8080 so it can run beside a developer's own gateway.
 * It runs with LOG_FORMAT=pretty and LOG_LEVEL=debug, as a developer reading a terminal would.
 */
describe('make run serves the demo model out of the box', () => {
  let child: ReturnType<typeof spawn>;
  let output = '';
  let ports: RunPorts;
  let configPath = '';

  before(async () => {
    ports = await freeRunPorts();
    configPath = writeRunConfiguration(ports, { openai: { kind: 'openai', base_url: 'https://api.openai.com/v1', credential: { env: 'OPENAI_API_KEY' } } });
    child = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist/src/cli/run-local.js')], {
      cwd: join(configPath, '..'),
      env: { PATH: process.env.PATH ?? '', GATEWAY_CONFIG: configPath, ENVOY_BIN: envoyBinary(), LOG_FORMAT: 'pretty', LOG_LEVEL: 'debug', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the launcher to serve', async () => (await fetch(`http://127.0.0.1:${ports.listener}/v1/models`)).ok, () => output, 20_000);
  });

  after(async () => {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGINT');
    });
  });

  test('the demo model answers, streaming and not, and says it is a demo', async () => {
    const client = new OpenAI({ apiKey: 'anything', baseURL: `http://127.0.0.1:${ports.listener}/v1`, maxRetries: 0 });
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    assert.deepEqual(models.map((model) => [model.id, model.owned_by]), [['demo', 'demo (demo)']], 'without OPENAI_API_KEY only the demo is served');

    const completion = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'ping 42' }] });
    assert.match(completion.choices[0]?.message.content ?? '', /^\[demo\].*You said: ping 42$/);
    assert.ok((completion.usage?.total_tokens ?? 0) > 0);

    const stream = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'stream 7' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    assert.match(text, /^\[demo\].*You said: stream 7$/);
    assert.ok(usage && usage.completion_tokens > 0);
    assert.match(output, /DEMO/);
  });

  test("pretty logs: readable lines, the sidecar's and Envoy's told apart, debug lines at LOG_LEVEL=debug", async () => {
    const client = new OpenAI({ apiKey: 'anything', baseURL: `http://127.0.0.1:${ports.listener}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'log me' }] });
    const time = String.raw`\[\d\d:\d\d:\d\d\.\d{3}\]`;
    await waitFor('Envoy to write the access log line', () => new RegExp(`${time} INFO: envoy {3}\\| POST /v1/chat/completions 200 \\(\\d+ ms\\) \\{.*"model":"demo"`).test(output), () => output);
    assert.match(output, new RegExp(`${time} INFO: sidecar \\| sidecar ready \\{"grpc_port":${ports.grpc},`));
    assert.match(output, new RegExp(`${time} INFO: sidecar \\| request finished \\{.*"model":"demo"`));
    assert.match(output, new RegExp(`${time} DEBUG: sidecar \\| ext_proc message answered \\{"phase":"router",.*"x-gateway-route":"model_demo"`));
    for (const line of output.split('\n').filter(Boolean)) assert.ok(!line.startsWith('{'), `a JSON line in pretty mode: ${line}`);
  });

  test('a second make run on the same listener port fails, naming the port, and the first keeps serving', async () => {
    const others = await freeRunPorts();
    const second = writeRunConfiguration({ ...others, listener: ports.listener });
    const exited = await runToExit(['dist/src/cli/run-local.js'], { GATEWAY_CONFIG: second });
    assert.equal(exited.code, 1, exited.stderr);
    const sentence = `Envoy's listener cannot listen on 127.0.0.1:${ports.listener}: the port is already in use by another process (is another \`make run\` or gateway running?). Stop that process, or choose a free port in listener.port (${second}).`;
    assert.equal(exited.stderr, `${sentence}\n`);
    // Not a terminal, no LOG_FORMAT: JSON lines, the sidecar's and Envoy's marked by `service`, and the reason once more as the fatal one.
    const lines = exited.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(lines.some((line) => line.service === 'envoy' && /cannot bind/.test(String(line.msg))));
    assert.deepEqual(lines.filter((line) => line.level === 'fatal' && line.service === 'llm-gateway').map((line) => line.msg), [sentence]);
    assert.ok((await fetch(`http://127.0.0.1:${ports.listener}/v1/models`)).ok, 'the first gateway stopped serving');
  });
});
