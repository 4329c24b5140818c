import { stringify } from 'yaml';
import type { KubernetesManifest } from './build-kubernetes-manifests.js';

/**
 * The Kustomize base as files: each resource in its own YAML file under a comment saying how
 * it was made, and kustomization.yaml listing them. Returns file name -> text.
 */
export function renderKubernetesBase(manifests: readonly KubernetesManifest[], header: string): Map<string, string> {
  const comment = header
    .split('\n')
    .map((line) => `# ${line}`.trimEnd())
    .join('\n');
  const files = new Map<string, string>();
  for (const { file, resource } of manifests) files.set(file, `${comment}\n${stringify(resource, { lineWidth: 0, aliasDuplicateObjects: false })}`);
  const kustomization = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: manifests.map((manifest) => manifest.file) };
  files.set('kustomization.yaml', `${comment}\n${stringify(kustomization)}`);
  return files;
}
