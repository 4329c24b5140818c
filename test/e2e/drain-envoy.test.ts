import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { PACKAGE_ROOT, startGateway, waitFor, type GatewayHarness } from '../support/gateway-harness.js';
import { MOCK_REPLY_WORDS, startMockOpenAIUpstream, streamEvents, type MockOpenAIUpstream } from '../support/mock-openai-upstream.js';
import { join } from 'node:path';

const KEY = 'sk-drain-provider-key';

/**
 * A gateway pod's shutdown, through the real Envoy and sidecar in the pod's shape: `llm-gateway drain-envoy`
 * (the sidecar container's preStop hook) must turn Envoy's readiness off, stop its client
 * listener after the drain time while the metrics listener keeps serving, and return only
 * when the request in flight has finished.
 */
describe('llm-gateway drain-envoy', () => {
  let upstream: MockOpenAIUpstream;
  let gateway: GatewayHarness;
  let release: () => void = () => undefined;

  before(async () => {
    upstream = await startMockOpenAIUpstream({ expectedKey: KEY });
    gateway = await startGateway({
      providers: { openai: { kind: 'openai', base_url: `http://127.0.0.1:${upstream.port}/v1`, credential: { env: 'OPENAI_API_KEY' } } },
      models: { 'gpt-4o-mini': { provider: 'openai', model: 'gpt-4o-mini' } },
      environment: { OPENAI_API_KEY: KEY },
      envoyArguments: ['--drain-time-s', '1', '--drain-strategy', 'immediate'],
      // The pod's shape: the admin server on all addresses for probes, gRPC on loopback. Envoy health-checks
      // the sidecar and every target through sidecar.address (loopback); the request below needs both healthy.
      sidecarAdminBindAddress: '0.0.0.0',
    });
  });

  after(async () => {
    release();
    await gateway?.stop();
    await upstream?.close();
  });

  test('Envoy stops taking clients, the metrics listener stays, and the drain waits for the stream in flight', async () => {
    // The provider sends half the answer, then holds the stream open until the test lets it finish.
    const held = new Promise<void>((resolve) => (release = resolve));
    upstream.respondWith(async (request, response) => {
      const events = streamEvents(String(request.json?.model), true);
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const event of events.slice(0, 3)) response.write(event);
      await held;
      response.end(events.slice(3).join(''));
    });
    const client = new OpenAI({ apiKey: 'sk-client', baseURL: gateway.baseURL, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(first.done, false, 'the stream has begun');
    let text = first.value.choices[0]?.delta.content ?? '';

    const metrics = `http://127.0.0.1:${gateway.envoyMetricsPort}`;
    assert.equal((await fetch(`${metrics}/ready`)).status, 200);
    const drain = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist/src/cli/gateway.js'), 'drain-envoy', '--config', gateway.configPath, '--deadline', '60s'], {
      env: { PATH: process.env.PATH ?? '' },
    });
    let output = '';
    drain.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    drain.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let streamFinished = false;
    const drainExit = new Promise<{ code: number | null; streamFinishedFirst: boolean }>((resolve) => drain.on('exit', (code) => resolve({ code, streamFinishedFirst: streamFinished })));

    await waitFor("Envoy's readiness to turn off", async () => (await fetch(`${metrics}/ready`)).status === 503, () => output);
    await waitFor('the client listener to stop after the drain time', () => refused(gateway.listenerPort), () => output);
    // The metrics listener is not an inbound one: probes and scrapes still reach Envoy.
    assert.equal((await fetch(`${metrics}/stats/prometheus`)).status, 200);
    assert.equal(drain.exitCode, null, 'drain-envoy waits while a request is in flight');
    const stats = await gateway.envoyStats();
    assert.equal(stats.get('http.gateway.downstream_rq_active'), 1);

    release();
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) text += next.value.choices[0]?.delta.content ?? '';
    streamFinished = true;
    assert.equal(text, MOCK_REPLY_WORDS.join(''), 'the stream in flight finished whole through the drain');

    const exit = await drainExit;
    assert.equal(exit.code, 0, output);
    assert.equal(exit.streamFinishedFirst, true, 'drain-envoy returned only after the stream ended');
    assert.match(output, /no request in flight: envoy is drained/);
    // The sidecar was never told to stop: it serves until its own SIGTERM, after the hook.
    assert.equal((await fetch(`http://127.0.0.1:${gateway.sidecarAdminPort}/healthz`)).status, 200);
  });

  test('with nothing to drain (Envoy gone), it returns at once and says so', async () => {
    const port = gateway.envoyAdminPort;
    await gateway.stop();
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist/src/cli/gateway.js'), 'drain-envoy', '--config', gateway.configPath, '--deadline', '60s'], { env: { PATH: process.env.PATH ?? '' } });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('exit', (code) => resolve({ code, output }));
    });
    assert.equal(result.code, 0);
    assert.match(result.output, new RegExp(`nothing to drain: POST http://127\\.0\\.0\\.1:${port}/healthcheck/fail: ECONNREFUSED`));
  });
});

/** True when nothing accepts TCP connections on the port any more. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}
