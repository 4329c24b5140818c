import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { envoyBinary, PACKAGE_ROOT } from '../support/gateway-harness.js';

/**
 * Every Envoy bootstrap the repository ships is one Envoy itself accepts. The renderer's tests
 * check the files are current and their shape; only Envoy can say it loads them: `--mode
 * validate` parses the bootstrap and builds every listener, filter and cluster without serving
 * (DNS names such as the compose file's `sidecar` are not resolved in that mode).
 */
const run = promisify(execFile);

async function validate(path: string): Promise<string> {
  const { stdout, stderr } = await run(envoyBinary(), ['--mode', 'validate', '-c', path, '--log-level', 'warn'], { encoding: 'utf8' });
  return `${stdout}${stderr}`;
}

describe('Envoy accepts every checked-in bootstrap (envoy --mode validate)', () => {
  // envoy.compose.yaml is rendered with envoy/compose.env's values already in place, so it is
  // validated as docker-compose.yml mounts it.
  for (const file of ['envoy/envoy.yaml', 'envoy/envoy.compose.yaml']) {
    test(file, async () => {
      const output = await validate(join(PACKAGE_ROOT, file));
      assert.match(output, /OK/);
    });
  }

  test('deploy/kubernetes/base/configmap-envoy.yaml (its envoy.yaml key)', async () => {
    const configMap = parse(readFileSync(join(PACKAGE_ROOT, 'deploy/kubernetes/base/configmap-envoy.yaml'), 'utf8')) as { data: Record<string, string> };
    const bootstrap = configMap.data['envoy.yaml'];
    assert.ok(bootstrap, 'the ConfigMap carries envoy.yaml');
    const path = join(mkdtempSync(join(tmpdir(), 'llm-gateway-validate-')), 'envoy.yaml');
    writeFileSync(path, bootstrap);
    assert.match(await validate(path), /OK/);
  });

  test('a bootstrap Envoy rejects fails the check (the check is not a formality)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'llm-gateway-validate-')), 'broken.yaml');
    const text = readFileSync(join(PACKAGE_ROOT, 'envoy/envoy.yaml'), 'utf8').replace('cluster_header:', 'cluster_headr:');
    assert.ok(text.includes('cluster_headr:'), 'the edit applied');
    writeFileSync(path, text);
    await assert.rejects(validate(path));
  });
});
