import { parse } from 'yaml';
import { parseConfiguration } from '../../src/config/load.js';

/**
 * What listens where inside a gateway pod, read from the two files the pod runs with (the
 * gateway configuration and the Envoy bootstrap from its ConfigMaps), independently of the
 * renderer that wrote the Deployment, so tests can check the Deployment against them.
 */
export interface PodBinding {
  /** The container whose process binds the socket. */
  readonly container: 'envoy' | 'sidecar';
  readonly what: string;
  readonly address: string;
  readonly port: number;
  /** HTTP paths served; undefined when any path is routed (a proxy listener), empty for a non-HTTP/1 server. */
  readonly paths: readonly string[] | undefined;
}

/** The sidecar admin server's GET endpoints (src/observability/admin-server.ts). */
const SIDECAR_ADMIN_PATHS = ['/healthz', '/livez', '/metrics'];

interface SocketAddress {
  socket_address: { address: string; port_value: number };
}
interface EnvoyRoute {
  match: { path?: string; prefix?: string };
  route?: unknown;
}
interface EnvoyListener {
  name: string;
  address: SocketAddress;
  filter_chains: { filters: { typed_config: { route_config?: { virtual_hosts: { routes: EnvoyRoute[] }[] } } }[] }[];
}
interface EnvoyBootstrap {
  admin: { address: SocketAddress };
  static_resources: { listeners: EnvoyListener[] };
}

export function podBindings(gatewayYaml: string, envoyYaml: string): PodBinding[] {
  const { sidecar } = parseConfiguration(gatewayYaml, {});
  const bootstrap = parse(envoyYaml) as EnvoyBootstrap;
  const bindings: PodBinding[] = bootstrap.static_resources.listeners.map((listener) => {
    const routes = listener.filter_chains.flatMap((chain) => chain.filters.flatMap((filter) => filter.typed_config.route_config?.virtual_hosts.flatMap((host) => host.routes) ?? []));
    const routesEverything = routes.some((route) => route.match.prefix === '/' && route.route !== undefined);
    const paths = routesEverything ? undefined : routes.filter((route) => route.route !== undefined && route.match.path).map((route) => route.match.path!);
    return { container: 'envoy', what: `Envoy listener ${listener.name}`, address: listener.address.socket_address.address, port: listener.address.socket_address.port_value, paths };
  });
  bindings.push(
    { container: 'envoy', what: "Envoy's admin interface", address: bootstrap.admin.address.socket_address.address, port: bootstrap.admin.address.socket_address.port_value, paths: undefined },
    { container: 'sidecar', what: "the sidecar's gRPC server", address: sidecar.bind_address, port: sidecar.grpc_port, paths: [] },
    { container: 'sidecar', what: "the sidecar's admin server", address: sidecar.admin_bind_address, port: sidecar.admin_port, paths: SIDECAR_ADMIN_PATHS },
  );
  return bindings;
}

/** Whether a socket bound to this address accepts connections to the pod IP (where kubelet, Services and Prometheus connect). */
export function reachableFromOutsidePod(address: string): boolean {
  return ['0.0.0.0', '::', '[::]'].includes(address);
}
