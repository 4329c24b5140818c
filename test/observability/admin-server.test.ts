import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { createAdminServer } from '../../src/observability/admin-server.js';

test('/healthz is readiness (503 while draining), /livez is liveness (200 while the process answers)', async () => {
  let healthy = true;
  const server = createAdminServer({ registry: new Registry(), isHealthy: () => healthy, isTargetUsable: () => undefined, targetHealthPath: '/healthz/target', access: 'closed' });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    assert.deepEqual([(await fetch(`${base}/healthz`)).status, (await fetch(`${base}/livez`)).status], [200, 200]);
    healthy = false;
    const draining = await fetch(`${base}/healthz`);
    assert.equal(draining.status, 503);
    assert.deepEqual(await draining.json(), { status: 'draining', access: 'closed' });
    const live = await fetch(`${base}/livez`);
    assert.equal(live.status, 200, 'a draining sidecar is still alive: a liveness probe must not restart it mid-drain');
    assert.deepEqual(await live.json(), { status: 'alive' });
    assert.equal((await fetch(`${base}/livez`, { method: 'POST' })).status, 404);
  } finally {
    server.close();
  }
});
