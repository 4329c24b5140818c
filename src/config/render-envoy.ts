import { stringify } from 'yaml';
import { routeVariants } from '../capabilities/route-for-levels.js';
import { SIDECAR_HEALTH_PATH } from './envoy-contract.js';
import { HTTP_OPTIONS_TYPE, SIDECAR_CLUSTER, socketAddress } from './envoy-config-parts.js';
import { httpConnectionManager } from './render-connection-manager.js';
import { modelCluster } from './render-model-clusters.js';
import type { RuntimeView } from './runtime.js';

export { envoyDuration, SIDECAR_CLUSTER } from './envoy-config-parts.js';
export { MAX_REQUEST_HEADERS, MAX_REQUEST_HEADERS_KIB } from './render-connection-manager.js';

/**
 * Renders the Envoy bootstrap from the same runtime view the sidecar serves from, so the
 * clusters Envoy knows and the routes the sidecar writes can never disagree.
 *
 * Shape (see ARCHITECTURE.md): listener -> HCM -> ext_proc "router" -> router ->
 * one cluster per model whose endpoints are that model's targets -> ext_proc "attempt"
 * (once per upstream attempt) -> upstream_codec -> provider.
 */

/**
 * Streams Envoy opens on one HTTP/2 connection to the sidecar before moving to a new one: below
 * the 1,000 peer resets Node's HTTP/2 stack tolerates in a burst before it sends GOAWAY.
 */
export const SIDECAR_STREAMS_PER_CONNECTION = 900;

const ADMIN_CLUSTER = 'envoy_admin';

export interface RenderOptions {
  /** A comment placed at the top of the file: how it was generated. */
  header: string;
}

export function renderEnvoyBootstrap(view: RuntimeView, options: RenderOptions): string {
  const bootstrap = buildEnvoyBootstrap(view);
  return `${options.header
    .split('\n')
    .map((line) => `# ${line}`.trimEnd())
    .join('\n')}\n${stringify(bootstrap, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

export function buildEnvoyBootstrap(view: RuntimeView): Record<string, unknown> {
  const { configuration } = view;
  const bufferLimit = configuration.listener.max_request_bytes;
  return {
    node: { id: 'llm-gateway', cluster: 'llm-gateway' },
    admin: {
      address: socketAddress(configuration.envoy.admin_address, configuration.envoy.admin_port),
    },
    // Envoy's overload manager warns without this; 10k downstream connections is a sane ceiling for one proxy.
    overload_manager: {
      resource_monitors: [
        {
          name: 'envoy.resource_monitors.global_downstream_max_connections',
          typed_config: {
            '@type':
              'type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig',
            max_active_downstream_connections: 10000,
          },
        },
      ],
    },
    // Envoy 1.40's graceful ext_proc close (runtime guard ext_proc_graceful_grpc_close) segfaults
    // Envoy when a long response stream (about 12,000 body messages on one ext_proc stream) ends:
    // found by the fuzz test (test/e2e/fuzz.test.ts). It stays off, set here so that an upgrade
    // that flips its default does not turn it on unseen. Envoy then ends each ext_proc stream with
    // RST_STREAM; the sidecar cluster's max_requests_per_connection keeps that polite.
    layered_runtime: {
      layers: [
        {
          name: 'static',
          static_layer: { 'envoy.reloadable_features.ext_proc_graceful_grpc_close': false },
        },
      ],
    },
    static_resources: {
      listeners: [
        {
          name: 'gateway',
          address: socketAddress(configuration.listener.address, configuration.listener.port),
          // Envoy binds listeners with SO_REUSEPORT by default, so a second gateway on the same port
          // started without error and the two split the traffic; without it the second fails to start.
          enable_reuse_port: false,
          // Marks the client listener as the one `drain_listeners?inboundonly` stops when a pod shuts down
          // (llm-gateway drain-envoy); the metrics listener keeps serving probes and scrapes meanwhile.
          traffic_direction: 'INBOUND',
          // Request bodies are buffered whole for the sidecar (and replayed on retries), so this is the largest prompt accepted.
          per_connection_buffer_limit_bytes: bufferLimit,
          filter_chains: [{ filters: [httpConnectionManager(view)] }],
        },
        metricsListener(view),
      ],
      clusters: [
        sidecarCluster(view),
        adminCluster(view),
        // A chain also gets a cluster per combination of its levels, for requests some levels cannot serve (routeForLevels).
        ...[...view.models.values()].flatMap((route) => routeVariants(route).map((variant) => modelCluster(view, variant))),
      ],
    },
  };
}

/**
 * Envoy's Prometheus stats and its readiness (/ready: 200 "LIVE", 503 while initializing or
 * draining) on their own port, proxied from the admin interface, which stays on loopback.
 * Orchestrators' probes and Prometheus reach this port from outside Envoy's network namespace.
 */
function metricsListener(view: RuntimeView): Record<string, unknown> {
  const { configuration } = view;
  return {
    name: 'metrics',
    address: socketAddress(configuration.listener.address, configuration.envoy.metrics_port),
    enable_reuse_port: false,
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: 'metrics',
              route_config: {
                virtual_hosts: [
                  {
                    name: 'metrics',
                    domains: ['*'],
                    routes: [
                      ...['/stats/prometheus', '/ready'].map((path) => ({ match: { path, headers: [{ name: ':method', string_match: { exact: 'GET' } }] }, route: { cluster: ADMIN_CLUSTER } })),
                      { match: { prefix: '/' }, direct_response: { status: 404 } },
                    ],
                  },
                ],
              },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
            },
          },
        ],
      },
    ],
  };
}

function adminCluster(view: RuntimeView): Record<string, unknown> {
  const { envoy } = view.configuration;
  // The admin interface listens on loopback inside Envoy's own network namespace.
  const address = envoy.admin_address === '0.0.0.0' ? '127.0.0.1' : envoy.admin_address;
  return {
    name: ADMIN_CLUSTER,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: ADMIN_CLUSTER, endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(address, envoy.admin_port) } }] }] },
  };
}

function sidecarCluster(view: RuntimeView): Record<string, unknown> {
  const { sidecar } = view.configuration;
  return {
    name: SIDECAR_CLUSTER,
    type: 'STRICT_DNS',
    dns_lookup_family: 'V4_PREFERRED',
    connect_timeout: '1s',
    per_connection_buffer_limit_bytes: view.configuration.listener.max_request_bytes,
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': HTTP_OPTIONS_TYPE,
        // Envoy ends each ext_proc stream with RST_STREAM (graceful close stays off, see layered_runtime).
        // Node's HTTP/2 stack allows a connection a burst of 1,000 peer resets, then 33 per second, and
        // answers more with GOAWAY, failing the requests in flight; Node 20 cannot raise that limit.
        // Envoy moves to a fresh connection before any one sees 1,000 streams.
        common_http_protocol_options: { max_requests_per_connection: SIDECAR_STREAMS_PER_CONNECTION },
        explicit_http_config: {
          http2_protocol_options: {
            // Every client request holds one or two ext_proc streams open on this connection.
            max_concurrent_streams: 100000,
            connection_keepalive: { interval: '10s', timeout: '5s' },
          },
        },
      },
    },
    // Each in-flight client request is at least one request on this cluster; Envoy's default of 1024 would cap the gateway.
    circuit_breakers: {
      thresholds: [{ priority: 'DEFAULT', max_connections: 100000, max_pending_requests: 100000, max_requests: 100000, max_retries: 3 }],
    },
    // The sidecar's /healthz turns 503 while it drains on SIGTERM; Envoy stops opening streams to it.
    health_checks: [
      {
        timeout: '1s',
        interval: '2s',
        unhealthy_threshold: 2,
        healthy_threshold: 1,
        no_traffic_interval: '2s',
        http_health_check: { path: SIDECAR_HEALTH_PATH, codec_client_type: 'HTTP1' },
      },
    ],
    load_assignment: {
      cluster_name: SIDECAR_CLUSTER,
      // One endpoint per sidecar worker (sidecar.workers), on consecutive ports; Envoy picks one per
      // ext_proc stream, round robin, so the workers share the load however few connections Envoy opens.
      endpoints: [
        {
          lb_endpoints: Array.from({ length: sidecar.workers }, (_, index) => ({
            endpoint: {
              address: socketAddress(sidecar.address, sidecar.grpc_port + index),
              health_check_config: { port_value: sidecar.admin_port },
            },
          })),
        },
      ],
    },
  };
}
