import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { stringify } from 'yaml';
import { envoyBinary, PACKAGE_ROOT, waitFor } from '../support/gateway-harness.js';
import { freePort } from '../support/free-port.js';

/**
 * What `make run` starts (dist/src/cli/run-local.js): demo upstream + sidecar + Envoy,
 * here on free ports instead of 8080 so it can run beside a developer's own gateway.
 */
describe('make run serves the demo model out of the box', () => {
  let child: ReturnType<typeof spawn>;
  let output = '';
  let listenerPort = 0;

  before(async () => {
    const [listener, grpc, admin, envoyAdmin, demo, envoyMetrics] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
    listenerPort = listener;
    const directory = mkdtempSync(join(tmpdir(), 'llm-gateway-run-'));
    const configPath = join(directory, 'gateway.yaml');
    writeFileSync(
      configPath,
      stringify({
        listener: { port: listener },
        sidecar: { grpc_port: grpc, admin_port: admin },
        envoy: { admin_port: envoyAdmin, metrics_port: envoyMetrics },
        governance: { mode: 'open' },
        providers: {
          demo: { kind: 'openai', base_url: `http://127.0.0.1:${demo}/v1`, demo: true },
          openai: { kind: 'openai', base_url: 'https://api.openai.com/v1', credential: { env: 'OPENAI_API_KEY' } },
        },
        models: { demo: { provider: 'demo', model: 'demo-echo' }, 'gpt-4o-mini': { provider: 'openai', model: 'gpt-4o-mini' } },
      }),
    );
    child = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist/src/cli/run-local.js')], {
      cwd: directory,
      env: { PATH: process.env.PATH ?? '', GATEWAY_CONFIG: configPath, ENVOY_BIN: envoyBinary() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('the launcher to serve', async () => (await fetch(`http://127.0.0.1:${listener}/v1/models`)).ok, () => output, 20_000);
  });

  after(async () => {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGINT');
    });
  });

  test('the demo model answers, streaming and not, and says it is a demo', async () => {
    const client = new OpenAI({ apiKey: 'anything', baseURL: `http://127.0.0.1:${listenerPort}/v1`, maxRetries: 0 });
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    assert.deepEqual(models.map((model) => [model.id, model.owned_by]), [['demo', 'demo (demo)']], 'without OPENAI_API_KEY only the demo is served');

    const completion = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'ping 42' }] });
    assert.match(completion.choices[0]?.message.content ?? '', /^\[demo\].*You said: ping 42$/);
    assert.ok((completion.usage?.total_tokens ?? 0) > 0);

    const stream = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'stream 7' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    assert.match(text, /^\[demo\].*You said: stream 7$/);
    assert.ok(usage && usage.completion_tokens > 0);
    assert.match(output, /DEMO/);
  });
});
