import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { drainEnvoy } from '../../src/cli/drain-envoy.js';
import { parseConfiguration } from '../../src/config/load.js';

/**
 * The deadline path, which the end-to-end test (a real Envoy) cannot reach without a slow
 * test: an admin interface, answering in Envoy's /stats?format=json shape, that never gets
 * idle. The clock is the test's, so the deadline passes without waiting for it.
 */
test('gives up at the deadline while a request is still in flight, and reports how many', async () => {
  const posted: string[] = [];
  const admin = createServer((request, response) => {
    if (request.method === 'POST') {
      posted.push(request.url ?? '');
      response.end('OK\n');
      return;
    }
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ stats: [{ name: 'listener_manager.listener_stopped', value: 1 }, { name: 'http.gateway.downstream_rq_active', value: 2 }] }));
  });
  await new Promise<void>((resolve) => admin.listen(0, '127.0.0.1', resolve));
  const port = (admin.address() as AddressInfo).port;
  const configuration = parseConfiguration(`envoy: { admin_address: 0.0.0.0, admin_port: ${port} }\nproviders: { l: { kind: openai, base_url: 'http://127.0.0.1:9/v1' } }\nmodels: { l: { provider: l, model: m } }\n`, {});
  let clock = 0;
  const sleeps: number[] = [];
  try {
    const result = await drainEnvoy(configuration, {
      deadlineMs: 2500,
      pollIntervalMs: 1000,
      now: () => clock,
      sleep: async (milliseconds) => {
        sleeps.push(milliseconds);
        clock += milliseconds;
      },
    });
    assert.deepEqual(result, { outcome: 'deadline', activeRequests: 2 });
    assert.deepEqual(posted, ['/healthcheck/fail', '/drain_listeners?graceful&inboundonly'], 'readiness off first, then the inbound drain');
    assert.deepEqual(sleeps, [1000, 1000, 500], 'the last wait ends at the deadline, not a poll later');
  } finally {
    admin.close();
  }
});
