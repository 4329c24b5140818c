import { durationMilliseconds } from './duration.js';
import { PHASE_METADATA_KEY, type Phase } from './envoy-contract.js';

/** Pieces the bootstrap's parts share (render-envoy.ts, render-connection-manager.ts, render-model-clusters.ts). */

export const SIDECAR_CLUSTER = 'gateway_sidecar';
export const EXT_PROC_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor';
export const HTTP_OPTIONS_TYPE = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** The gRPC service of an ext_proc filter: the sidecar, told which of the two filters calls it. */
export function sidecarGrpcService(phase: Phase): Record<string, unknown> {
  return {
    envoy_grpc: { cluster_name: SIDECAR_CLUSTER },
    initial_metadata: [{ key: PHASE_METADATA_KEY, value: phase }],
  };
}

/** Envoy's JSON form of a duration: seconds with an "s" suffix ("100ms" -> "0.1s"). */
export function envoyDuration(value: string): string {
  return `${durationMilliseconds(value) / 1000}s`;
}

/** Envoy's socket address. */
export function socketAddress(address: string, port: number): Record<string, unknown> {
  return { socket_address: { address, port_value: port } };
}
