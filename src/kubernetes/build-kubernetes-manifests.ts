import { createHash } from 'node:crypto';
import type { Configuration } from '../config/schema.js';
import { buildGatewayDeployment, COMMON_LABELS, ENVOY_CONFIG_MAP, GATEWAY_CONFIG_MAP, GATEWAY_NAME, SELECTOR_LABELS } from './build-gateway-deployment.js';
import { PORT_NAMES } from './gateway-pod-ports.js';

export interface KubernetesManifestsInput {
  configuration: Configuration;
  /** The configuration file as written: the sidecar reads this text in the pod. */
  configurationText: string;
  /** The Envoy bootstrap rendered from the same configuration. */
  envoyBootstrap: string;
  /** Pinned image references (a tag or a digest, never "latest"). */
  images: { envoy: string; sidecar: string };
}

/** One file of the Kustomize base: its name and the resource it holds. */
export interface KubernetesManifest {
  readonly file: string;
  readonly resource: Record<string, unknown>;
}

/**
 * The gateway's Kubernetes resources, all derived from one configuration: ConfigMaps with
 * the configuration and the Envoy bootstrap, the Deployment (ports, probes and secrets
 * follow the configuration), the Service, a ServiceAccount without API access, a
 * PodDisruptionBudget and a HorizontalPodAutoscaler. Nothing here holds a secret value:
 * the Deployment names the Secrets the operator creates.
 */
export function buildKubernetesManifests(input: KubernetesManifestsInput): KubernetesManifest[] {
  for (const [name, image] of Object.entries(input.images)) {
    if (!isPinnedImage(image)) throw new Error(`${name} image "${image}": pin a tag or a digest (not "latest")`);
  }
  const configurationDigest = createHash('sha256').update(input.configurationText).update('\0').update(input.envoyBootstrap).digest('hex');
  return [
    { file: 'serviceaccount.yaml', resource: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: metadata(GATEWAY_NAME), automountServiceAccountToken: false } },
    {
      file: 'configmap-gateway.yaml',
      resource: { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(GATEWAY_CONFIG_MAP), data: { 'gateway.yaml': input.configurationText } },
    },
    {
      file: 'configmap-envoy.yaml',
      resource: { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(ENVOY_CONFIG_MAP), data: { 'envoy.yaml': input.envoyBootstrap } },
    },
    { file: 'deployment.yaml', resource: buildGatewayDeployment({ configuration: input.configuration, images: input.images, configurationDigest }) },
    {
      file: 'service.yaml',
      resource: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: metadata(GATEWAY_NAME),
        spec: {
          type: 'ClusterIP',
          selector: { ...SELECTOR_LABELS },
          // Clients only. The admin and metrics ports are reached on the pod IP (probes, Prometheus), never through the Service.
          ports: [{ name: PORT_NAMES.http, port: 80, targetPort: PORT_NAMES.http, protocol: 'TCP', appProtocol: 'http' }],
        },
      },
    },
    {
      file: 'poddisruptionbudget.yaml',
      resource: {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: metadata(GATEWAY_NAME),
        // Node drains take one gateway pod at a time; a pod that is not ready may always go.
        spec: { maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow', selector: { matchLabels: { ...SELECTOR_LABELS } } },
      },
    },
    {
      file: 'horizontalpodautoscaler.yaml',
      resource: {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: metadata(GATEWAY_NAME),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: GATEWAY_NAME },
          // Two at least: one pod can drain or move while the other serves (the PodDisruptionBudget allows one away).
          minReplicas: 2,
          maxReplicas: 10,
          // The sidecar's CPU is the gateway's ceiling (README, Performance); both containers request CPU, so utilization is defined.
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
          // Scale in slowly: a removed pod drains its streams for up to a minute.
          behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } },
        },
      },
    },
  ];
}

function metadata(name: string): Record<string, unknown> {
  return { name, labels: { ...COMMON_LABELS } };
}

/** A reference with a digest, or with a tag other than "latest" (a registry's ":port" is not a tag). */
export function isPinnedImage(image: string): boolean {
  if (/\s/.test(image)) return false;
  const [name, digest] = image.split('@') as [string, string | undefined];
  if (digest !== undefined) return /^sha256:[0-9a-f]{64}$/.test(digest);
  const tag = /:([\w][\w.-]{0,127})$/.exec(name.slice(name.lastIndexOf('/') + 1))?.[1];
  return tag !== undefined && tag !== 'latest';
}
