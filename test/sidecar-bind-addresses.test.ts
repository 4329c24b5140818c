import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startGateway } from '../src/main.js';
import { createLogger } from '../src/observability/logger.js';
import { freePort } from './support/free-port.js';
import { PACKAGE_ROOT } from './support/gateway-harness.js';

/**
 * In a Kubernetes pod the probes and Prometheus reach the sidecar on the pod IP while only
 * Envoy, in the same pod, may reach its gRPC server. The sockets the kernel reports as
 * listening are the proof: the admin server on the wildcard address, gRPC on loopback only.
 */
test('the admin server binds admin_bind_address while the gRPC server stays on bind_address', async () => {
  const [grpcPort, adminPort] = await Promise.all([freePort(), freePort()]);
  const directory = mkdtempSync(join(tmpdir(), 'llm-gateway-bind-'));
  const configPath = join(directory, 'gateway.yaml');
  writeFileSync(
    configPath,
    `sidecar: { address: 127.0.0.1, bind_address: 127.0.0.1, admin_bind_address: 0.0.0.0, grpc_port: ${grpcPort}, admin_port: ${adminPort} }
governance: { store: memory }
providers:
  local: { kind: openai, base_url: 'http://127.0.0.1:9/v1' }
models:
  local: { provider: local, model: m }
`,
  );
  const gateway = await startGateway({
    configPath,
    environment: {},
    logger: createLogger({ level: 'silent' }),
    priceTablePath: join(PACKAGE_ROOT, 'config/prices.yaml'),
  });
  try {
    const listening = listeningSockets();
    assert.deepEqual(listening.get(adminPort), ['0.0.0.0']);
    assert.deepEqual(listening.get(grpcPort), ['127.0.0.1']);
    // And the admin server answers: the health endpoint Kubernetes probes.
    assert.equal((await fetch(`http://127.0.0.1:${adminPort}/healthz`)).status, 200);
  } finally {
    await gateway.stop(1000);
  }
});

/** Listening IPv4 TCP sockets from /proc/net/tcp, as port -> local addresses. */
function listeningSockets(): Map<number, string[]> {
  const sockets = new Map<number, string[]>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4 || fields[3] !== '0A') continue; // 0A: TCP_LISTEN
    const [addressHex, portHex] = fields[1]!.split(':') as [string, string];
    // The kernel prints the IPv4 address as a little-endian 32-bit word.
    const address = [3, 2, 1, 0].map((index) => parseInt(addressHex.slice(index * 2, index * 2 + 2), 16)).join('.');
    const port = parseInt(portHex, 16);
    sockets.set(port, [...(sockets.get(port) ?? []), address]);
  }
  return sockets;
}
