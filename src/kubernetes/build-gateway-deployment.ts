import type { Configuration } from '../config/schema.js';
import { gatewayPodPorts, PORT_NAMES } from './gateway-pod-ports.js';
import { POD_SHUTDOWN } from './pod-shutdown.js';

/** The names every manifest shares; an overlay may prefix them (namePrefix) but not break their links. */
export const GATEWAY_NAME = 'llm-gateway';
export const CREDENTIALS_SECRET = 'llm-gateway-credentials';
export const REDIS_SECRET = 'llm-gateway-redis';
export const GATEWAY_CONFIG_MAP = 'llm-gateway-config';
export const ENVOY_CONFIG_MAP = 'llm-gateway-envoy';
export const SELECTOR_LABELS = Object.freeze({ 'app.kubernetes.io/name': GATEWAY_NAME, 'app.kubernetes.io/component': 'gateway' });
export const COMMON_LABELS = Object.freeze({ ...SELECTOR_LABELS, 'app.kubernetes.io/part-of': GATEWAY_NAME });

/** Where the sidecar image keeps the CLI (its WORKDIR is /app). */
const SIDECAR_CLI = '/app/dist/src/cli/gateway.js';
/** The official Envoy image runs as root and drops to this user ("envoy"); the pod starts as it directly. */
const ENVOY_UID = 101;
/** The "node" user of the official Node.js images the sidecar image is built on. */
const NODE_UID = 1000;

export interface DeploymentInput {
  configuration: Configuration;
  images: { envoy: string; sidecar: string };
  /** sha256 of both ConfigMaps' data: a changed configuration rolls the pods. */
  configurationDigest: string;
}

/**
 * The gateway Deployment: Envoy and the sidecar as two containers of one pod (the mesh
 * sidecar shape the gateway is built for: each Envoy talks only to its own sidecar).
 * No replica count: the HorizontalPodAutoscaler owns it.
 */
export function buildGatewayDeployment(input: DeploymentInput): Record<string, unknown> {
  const { configuration } = input;
  const ports = gatewayPodPorts(configuration);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: GATEWAY_NAME, labels: { ...COMMON_LABELS } },
    spec: {
      revisionHistoryLimit: 5,
      selector: { matchLabels: { ...SELECTOR_LABELS } },
      // A new pod is ready before an old one goes: capacity never drops during a rollout.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: { ...COMMON_LABELS },
          annotations: { 'llm-gateway/configuration-sha256': input.configurationDigest },
        },
        spec: {
          serviceAccountName: GATEWAY_NAME,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: POD_SHUTDOWN.terminationGracePeriodSeconds,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { ...SELECTOR_LABELS } } },
          ],
          containers: [envoyContainer(input.images.envoy, ports), sidecarContainer(input, ports)],
          volumes: [
            { name: 'envoy-config', configMap: { name: ENVOY_CONFIG_MAP } },
            { name: 'gateway-config', configMap: { name: GATEWAY_CONFIG_MAP } },
            { name: 'envoy-tmp', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
            { name: 'sidecar-tmp', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
          ],
        },
      },
    },
  };
}

function containerSecurityContext(uid: number): Record<string, unknown> {
  return { runAsUser: uid, runAsGroup: uid, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
}

function envoyContainer(image: string, ports: ReturnType<typeof gatewayPodPorts>): Record<string, unknown> {
  return {
    name: 'envoy',
    image,
    command: ['/usr/local/bin/envoy'],
    args: [
      '--config-path', '/etc/envoy/envoy.yaml',
      '--log-level', 'warn',
      // Envoy sizes its workers by the node's CPUs, not the pod's share; two match the CPU request below.
      '--concurrency', '2',
      '--disable-hot-restart',
      '--drain-time-s', String(POD_SHUTDOWN.envoyDrainSeconds),
      '--drain-strategy', 'immediate',
    ],
    ports: [
      { name: PORT_NAMES.http, containerPort: ports.http, protocol: 'TCP' },
      { name: PORT_NAMES.envoyMetrics, containerPort: ports.envoyMetrics, protocol: 'TCP' },
    ],
    // Ready: Envoy's own /ready through the metrics listener: 503 until its clusters are initialized
    // and once the pod drains. Alive: the metrics listener accepts (it is not drained at shutdown).
    readinessProbe: { httpGet: { path: '/ready', port: PORT_NAMES.envoyMetrics }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
    livenessProbe: { tcpSocket: { port: PORT_NAMES.envoyMetrics }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    lifecycle: { preStop: { exec: { command: ['sleep', String(POD_SHUTDOWN.envoyPreStopSeconds)] } } },
    resources: { requests: { cpu: '250m', memory: '128Mi' }, limits: { memory: '512Mi' } },
    securityContext: containerSecurityContext(ENVOY_UID),
    volumeMounts: [
      { name: 'envoy-config', mountPath: '/etc/envoy', readOnly: true },
      { name: 'envoy-tmp', mountPath: '/tmp' },
    ],
  };
}

function sidecarContainer(input: DeploymentInput, ports: ReturnType<typeof gatewayPodPorts>): Record<string, unknown> {
  const { configuration } = input;
  return {
    name: 'sidecar',
    image: input.images.sidecar,
    args: ['serve'],
    env: [
      { name: 'GATEWAY_CONFIG', value: '/etc/llm-gateway/gateway.yaml' },
      { name: 'GATEWAY_SHUTDOWN_GRACE_MS', value: String(POD_SHUTDOWN.sidecarGraceSeconds * 1000) },
      { name: 'LOG_LEVEL', value: 'info' },
      ...secretEnvironment(configuration),
    ],
    ports: [{ name: PORT_NAMES.sidecarAdmin, containerPort: ports.sidecarAdmin, protocol: 'TCP' }],
    // Ready: /healthz, 503 once the sidecar drains. Alive: /livez, 200 while the process answers, draining or not.
    readinessProbe: { httpGet: { path: '/healthz', port: PORT_NAMES.sidecarAdmin }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
    livenessProbe: { httpGet: { path: '/livez', port: PORT_NAMES.sidecarAdmin }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    lifecycle: {
      preStop: { exec: { command: ['node', SIDECAR_CLI, 'drain-envoy', '--deadline', `${POD_SHUTDOWN.drainDeadlineSeconds}s`] } },
    },
    // No CPU limit: throttling a Node process mid-stream shows up as latency; the request sizes the HPA.
    resources: { requests: { cpu: '500m', memory: '384Mi' }, limits: { memory: '768Mi' } },
    securityContext: containerSecurityContext(NODE_UID),
    volumeMounts: [
      { name: 'gateway-config', mountPath: '/etc/llm-gateway', readOnly: true },
      { name: 'sidecar-tmp', mountPath: '/tmp' },
    ],
  };
}

/**
 * Every secret the configuration names by environment variable, from Secrets: provider keys
 * and the admin key are optional (a provider without its key is disabled, the admin API off
 * without its key, as everywhere else); REDIS_URL is required when the store is Redis and
 * the file gives no URL, so a pod never starts against a default Redis that is not there.
 */
function secretEnvironment(configuration: Configuration): Record<string, unknown>[] {
  const names = new Set<string>();
  for (const provider of Object.values(configuration.providers)) if (provider.credential?.env) names.add(provider.credential.env);
  if (configuration.governance.admin_key?.env) names.add(configuration.governance.admin_key.env);
  const variables = [...names].map((name) => ({ name, valueFrom: { secretKeyRef: { name: CREDENTIALS_SECRET, key: name, optional: true } } }));
  if (configuration.governance.store === 'redis' && configuration.governance.redis.url === undefined) {
    variables.push({ name: 'REDIS_URL', valueFrom: { secretKeyRef: { name: REDIS_SECRET, key: 'REDIS_URL', optional: false } } });
  }
  return variables;
}
