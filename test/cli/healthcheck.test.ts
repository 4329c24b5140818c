import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../support/free-port.js';
import { PACKAGE_ROOT } from '../support/gateway-harness.js';

/**
 * `llm-gateway healthcheck` is the image's HEALTHCHECK: it must ask the admin port the
 * configuration names (not a fixed 9090), and pass only on a 200.
 */
describe('llm-gateway healthcheck', () => {
  let status = 200;
  let server: Server;
  let port: number;
  const paths: string[] = [];
  const directory = mkdtempSync(join(tmpdir(), 'llm-gateway-healthcheck-'));

  before(async () => {
    port = await freePort();
    server = createServer((request, response) => {
      paths.push(request.url ?? '');
      response.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });
  after(() => server.close());

  function configFile(name: string, sidecar: string): string {
    const path = join(directory, name);
    writeFileSync(path, `sidecar: ${sidecar}\nproviders: { local: { kind: openai, base_url: 'http://127.0.0.1:9/v1' } }\nmodels: { local: { provider: local, model: m } }\n`);
    return path;
  }

  function healthcheck(args: string[], environment: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist/src/cli/gateway.js'), 'healthcheck', ...args], { env: { PATH: process.env.PATH ?? '', ...environment } });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
  }

  test('asks /healthz on the configured admin port, reaching a wildcard bind on loopback', async () => {
    status = 200;
    paths.length = 0;
    assert.equal((await healthcheck(['--config', configFile('wildcard.yaml', `{ admin_port: ${port}, bind_address: 0.0.0.0 }`)])).code, 0);
    assert.equal((await healthcheck(['--config', configFile('split.yaml', `{ admin_port: ${port}, bind_address: 127.0.0.1, admin_bind_address: 0.0.0.0 }`)])).code, 0);
    assert.deepEqual(paths, ['/healthz', '/healthz']);
  });

  test('reads GATEWAY_CONFIG and its ${...} placeholders like the sidecar does', async () => {
    status = 200;
    const path = configFile('placeholders.yaml', `{ admin_port: ${port}, admin_bind_address: "\${ADMIN_BIND:-127.0.0.2}" }`);
    const result = await healthcheck([], { GATEWAY_CONFIG: path, ADMIN_BIND: '0.0.0.0' });
    assert.equal(result.code, 0, result.stderr);
  });

  test('fails on a draining sidecar (503), and when nothing listens on the configured port', async () => {
    status = 503;
    const draining = await healthcheck(['--config', configFile('draining.yaml', `{ admin_port: ${port} }`)]);
    assert.equal(draining.code, 1);
    assert.match(draining.stderr, new RegExp(`127\\.0\\.0\\.1:${port}/healthz: HTTP 503`));
    const elsewhere = await freePort();
    const refused = await healthcheck(['--config', configFile('elsewhere.yaml', `{ admin_port: ${elsewhere} }`)]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /ECONNREFUSED/);
  });
});
