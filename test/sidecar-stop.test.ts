import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startGateway } from '../src/main.js';
import { createLogger } from '../src/observability/logger.js';
import { freePort } from './support/free-port.js';
import { PACKAGE_ROOT } from './support/gateway-harness.js';

/**
 * Envoy health-checks the sidecar's admin port over a kept-alive HTTP/1.1 connection, a
 * request every few seconds, for as long as Envoy runs (in a pod, through the sidecar's own
 * shutdown). Node's server.close() waits for such a connection forever; stop() must not.
 * The guard timeout only turns that hang into a failure.
 */
test('stop() ends while a health checker keeps its admin connection alive', { timeout: 30_000 }, async () => {
  const [grpcPort, adminPort] = await Promise.all([freePort(), freePort()]);
  const configPath = join(mkdtempSync(join(tmpdir(), 'llm-gateway-stop-')), 'gateway.yaml');
  writeFileSync(
    configPath,
    `sidecar: { grpc_port: ${grpcPort}, admin_port: ${adminPort} }
governance: { store: memory }
providers:
  local: { kind: openai, base_url: 'http://127.0.0.1:9/v1' }
models:
  local: { provider: local, model: m }
`,
  );
  const gateway = await startGateway({ configPath, environment: {}, logger: createLogger({ level: 'silent' }), priceTablePath: join(PACKAGE_ROOT, 'config/prices.yaml') });

  // Like Envoy's health checker: one kept-alive connection, request after request. Each write completes
  // one request and begins the next, so the connection is never idle when stop() closes the server
  // (an idle one, Node closes by itself).
  const checker = connect(adminPort, '127.0.0.1');
  await new Promise((resolve) => checker.once('connect', resolve));
  checker.on('error', () => undefined); // the reset that ends the connection
  const closed = new Promise((resolve) => checker.once('close', resolve));
  let received = '';
  let answered = 0;
  const head = 'GET /healthz HTTP/1.1\r\nHost: sidecar\r\n';
  checker.on('data', (chunk: Buffer) => {
    received += chunk.toString();
    const count = received.match(/\r\n0\r\n\r\n/g)?.length ?? 0; // each answer is chunked: it ends with the empty chunk
    for (; answered < count; answered += 1) setTimeout(() => checker.writable && checker.write(`\r\n${head}`), 20);
  });
  checker.write(`${head}\r\n${head}`);
  while (answered === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  await gateway.stop(1000);
  await closed;
  assert.ok(answered >= 1);
  assert.match(received, /^HTTP\/1\.1 200 /, 'the checker was being served over its kept-alive connection when stop() began');
});
