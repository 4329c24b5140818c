import type { Configuration } from '../config/schema.js';

/**
 * The pod's named ports, from the configuration: the only ports anything outside the pod
 * reaches. The sidecar's gRPC port is deliberately absent: it listens on loopback for Envoy.
 * Names are IANA service names (at most 15 characters) so probes and scrape configurations
 * refer to them by name and follow the configuration.
 */
export interface GatewayPodPorts {
  /** Envoy's client listener (listener.port). */
  readonly http: number;
  /** Envoy's metrics listener: /stats/prometheus and /ready (envoy.metrics_port). */
  readonly envoyMetrics: number;
  /** The sidecar's admin server: /healthz, /livez, /metrics, /admin (sidecar.admin_port). */
  readonly sidecarAdmin: number;
}

export const PORT_NAMES = Object.freeze({ http: 'http', envoyMetrics: 'envoy-metrics', sidecarAdmin: 'sidecar-admin' });

export function gatewayPodPorts(configuration: Configuration): GatewayPodPorts {
  return { http: configuration.listener.port, envoyMetrics: configuration.envoy.metrics_port, sidecarAdmin: configuration.sidecar.admin_port };
}
