import { routeVariants } from '../capabilities/route-for-levels.js';
import { stringify } from 'yaml';
import { hasAttemptProcessor, type ModelRoute, type RuntimeView, type TargetRuntime } from './runtime.js';
import { durationMilliseconds } from './duration.js';
import type { ResilienceConfiguration } from './schema.js';
import { envoyLocalReplyKinds } from './envoy-local-reply-kinds.js';
import { anthropicErrorFormat } from './anthropic-error-format.js';
import { openAIErrorFormat } from './openai-error-format.js';
import { renderLocalReplyConfig } from './render-local-reply-config.js';

/**
 * Renders the Envoy bootstrap from the same runtime view the sidecar serves from, so the
 * clusters Envoy knows and the routes the sidecar writes can never disagree.
 *
 * Shape (see ARCHITECTURE.md): listener -> HCM -> ext_proc "router" -> router ->
 * one cluster per model whose endpoints are that model's targets -> ext_proc "attempt"
 * (once per upstream attempt) -> upstream_codec -> provider.
 */

/** The header the router-level processor writes; the route's cluster_header reads it. */
/**
 * Streams Envoy opens on one HTTP/2 connection to the sidecar before moving to a new one: below
 * the 1,000 peer resets Node's HTTP/2 stack tolerates in a burst before it sends GOAWAY.
 */
export const SIDECAR_STREAMS_PER_CONNECTION = 900;

export const ROUTE_HEADER = 'x-gateway-route';
/**
 * Removed by the route before any attempt: the routing header, and proxy headers that would
 * tell the provider the client's address and the gateway's own host name.
 */
export const HEADERS_NOT_FORWARDED = [ROUTE_HEADER, 'x-forwarded-for', 'x-forwarded-proto', 'x-envoy-original-host', 'x-envoy-expected-rq-timeout-ms'];
/** Endpoint metadata namespace and key that name the target an attempt goes to. */
export const METADATA_NAMESPACE = 'llm_gateway';
export const TARGET_METADATA_KEY = 'target';
/** Dynamic metadata key carrying the translated body's length to the header_mutation upstream filter. */
export const CONTENT_LENGTH_METADATA_KEY = 'content_length';
/** The sidecar admin path Envoy health-checks every target on (the target id in the Host header). */
export const TARGET_HEALTH_PATH = '/healthz/target';
/** The CEL attribute the attempt processor asks Envoy for. */
export const TARGET_ATTRIBUTE = `xds.upstream_host_metadata.filter_metadata['${METADATA_NAMESPACE}']['${TARGET_METADATA_KEY}']`;
export const REQUEST_ID_METADATA_KEY = 'request_id';
export const REQUEST_ID_ATTRIBUTE = `metadata.filter_metadata['${METADATA_NAMESPACE}']['${REQUEST_ID_METADATA_KEY}']`;
/** gRPC metadata telling the sidecar which of the two filters opened a stream. */
export const PHASE_METADATA_KEY = 'x-gateway-phase';
export const SIDECAR_CLUSTER = 'gateway_sidecar';
const ADMIN_CLUSTER = 'envoy_admin';

/**
 * The router-level processor's static mode: request headers, then the whole request body;
 * no response phase. Envoy also runs its own replies (codec errors, 431, 413, 503, 504) through
 * the response phases, and a reply waiting there for the sidecar is lost when Envoy closes the
 * connection after a codec error.
 */
export const ROUTER_PROCESSING_MODE = {
  request_header_mode: 'SEND',
  request_body_mode: 'BUFFERED',
  request_trailer_mode: 'SKIP',
  response_header_mode: 'SKIP',
  response_body_mode: 'NONE',
  response_trailer_mode: 'SKIP',
} as const;

/**
 * The mode the sidecar switches a request to (mode_override on its request-headers reply,
 * the only phase besides response headers where Envoy honours it) once it will route the
 * request: response headers, then JSON answers whole; the sidecar switches 200 event streams
 * to STREAMED per response. Envoy takes body modes from an override as given, so the request
 * body stays BUFFERED here.
 */
export const ROUTED_PROCESSING_MODE = {
  request_body_mode: 'BUFFERED',
  response_header_mode: 'SEND',
  response_body_mode: 'BUFFERED',
} as const;

/** Request line and headers together, in KiB; larger requests get a 431 (Envoy's default). */
export const MAX_REQUEST_HEADERS_KIB = 60;
/** Header fields in one request; more get a 431 (Envoy's default). */
export const MAX_REQUEST_HEADERS = 100;

const EXT_PROC_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor';
const HTTP_OPTIONS_TYPE = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

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

function httpConnectionManager(view: RuntimeView): Record<string, unknown> {
  const { configuration } = view;
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      stat_prefix: 'gateway',
      codec_type: 'AUTO',
      // Clients are never trusted: with no internal addresses, Envoy ignores client-sent x-envoy-* controls
      // (timeouts, retries) and replaces a client's x-request-id; the sidecar strips x-envoy-* as well.
      // An empty cidr_ranges would make Envoy fall back to its default, where loopback and private
      // (RFC 1918) peers are internal, so the one range named is TEST-NET-1 (RFC 5737), never a peer.
      use_remote_address: true,
      internal_address_config: { unix_sockets: false, cidr_ranges: [{ address_prefix: '192.0.2.0', prefix_len: 24 }] },
      // Envoy names every request (x-request-id, a UUID): the sidecar takes it as the request's id, and
      // every answer carries it back, Envoy's own replies included. A client's x-request-id is replaced
      // unless the operator trusts it (a proxy in front that sets it).
      generate_request_id: true,
      preserve_external_request_id: configuration.listener.trust_client_request_id,
      always_set_request_id_in_response: true,
      stream_idle_timeout: envoyDuration(configuration.envoy.stream_idle_timeout),
      request_timeout: '0s',
      // Envoy's defaults, written out because the 431 reply names them.
      max_request_headers_kb: MAX_REQUEST_HEADERS_KIB,
      common_http_protocol_options: { headers_with_underscores_action: 'REJECT_REQUEST', max_headers_count: MAX_REQUEST_HEADERS },
      route_config: {
        name: 'gateway',
        virtual_hosts: [
          {
            name: 'gateway',
            domains: ['*'],
            // Tells the router processor how many tries a single-target model took (it has no attempt processor to count them).
            include_attempt_count_in_response: true,
            routes: [
              {
                match: { prefix: '/' },
                route: {
                  cluster_header: ROUTE_HEADER,
                  // Long generations stream for minutes; the default 15 s route timeout would cut them.
                  timeout: envoyDuration(configuration.envoy.request_timeout),
                  auto_host_rewrite: true,
                  retry_policy: retryPolicy(configuration.resilience),
                },
                request_headers_to_remove: HEADERS_NOT_FORWARDED,
              },
              {
                // CONNECT matches no path route, and a tunnel's body never ends: the buffer filter would
                // hold it until the idle timeout. Matched here, with no CONNECT upgrade configured, it is
                // refused by Envoy at once (403 upgrade_failed) before any filter runs; the 405 is never sent.
                match: { connect_matcher: {} },
                direct_response: { status: 405 },
              },
            ],
          },
        ],
      },
      http_filters: [
        {
          // The whole request is read before the sidecar sees any of it, so an HTTP/1 framing error
          // in a body that arrives late is found before the sidecar turns on response processing,
          // and Envoy's 400 is written, not held for the sidecar on a closing connection.
          name: 'envoy.filters.http.buffer',
          typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer', max_request_bytes: configuration.listener.max_request_bytes },
        },
        {
          name: 'envoy.filters.http.ext_proc',
          typed_config: {
            '@type': EXT_PROC_TYPE,
            grpc_service: sidecarGrpcService('router'),
            // Fail closed: if the sidecar cannot be reached the client gets a JSON 503, and nothing is forwarded.
            failure_mode_allow: false,
            status_on_error: { code: 503 },
            // No response phase unless the sidecar turns it on for a request it routes, so Envoy's
            // own replies before that never wait on the sidecar.
            processing_mode: ROUTER_PROCESSING_MODE,
            allow_mode_override: true,
            // allow_envoy lets the sidecar remove client-sent x-envoy-* headers (timeouts, retries) before the router reads them.
            mutation_rules: { allow_envoy: true },
            message_timeout: '5s',
            max_message_timeout: '30s',
            metadata_options: { receiving_namespaces: { untyped: [METADATA_NAMESPACE] } },
          },
        },
        {
          name: 'envoy.filters.http.router',
          // No x-envoy-* request headers for providers (expected timeout, attempt count), none on answers either.
          typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router', suppress_envoy_headers: true },
        },
      ],
      local_reply_config: renderLocalReplyConfig(
        envoyLocalReplyKinds({
          maxRequestBytes: configuration.listener.max_request_bytes,
          maxRequestHeadersKib: MAX_REQUEST_HEADERS_KIB,
          maxRequestHeaders: MAX_REQUEST_HEADERS,
        }),
        [anthropicErrorFormat, openAIErrorFormat],
      ),
      access_log: [
        {
          name: 'envoy.access_loggers.stdout',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
            log_format: {
              json_format: {
                time: '%START_TIME%',
                // The request's x-request-id, which the sidecar logs as request_id too; for a request whose
                // head Envoy refused before reading it (431, 400), the id its reply carried.
                request_id: "%CEL(has(request.id) ? request.id : response.headers['x-request-id'])%",
                method: '%REQ(:METHOD)%',
                // The client's path (from the sidecar); upstream_path is the provider's after an attempt rewrote it.
                path: `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:path)%`,
                upstream_path: '%REQ(:PATH)%',
                status: '%RESPONSE_CODE%',
                details: '%RESPONSE_CODE_DETAILS%',
                flags: '%RESPONSE_FLAGS%',
                upstream_cluster: '%UPSTREAM_CLUSTER%',
                upstream_host: '%UPSTREAM_HOST%',
                duration_ms: '%DURATION%',
                bytes_received: '%BYTES_RECEIVED%',
                bytes_sent: '%BYTES_SENT%',
                // The sidecar's facts, handed over as dynamic metadata when the response ends.
                model: `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:model)%`,
                model_served: `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:model_served)%`,
                provider: `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:provider)%`,
                attempts: `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:attempts)%`,
                prompt_tokens: `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:prompt_tokens)%`,
                completion_tokens: `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:completion_tokens)%`,
                total_tokens: `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:total_tokens)%`,
                cost_usd: `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:cost_usd)%`,
                key_alias: `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:key_alias)%`,
                error: `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:error)%`,
                guardrail: `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:guardrail)%`,
                traceparent: '%REQ(TRACEPARENT)%',
              },
            },
          },
        },
      ],
    },
  };
}

/**
 * Retries and fallback, the Envoy way: each try goes to an endpoint of the model's cluster;
 * previous_priorities moves to the next level of the chain once a level has had
 * attempts_per_level tries, and previous_hosts prefers another target of the same level.
 */
function retryPolicy(resilience: ResilienceConfiguration): Record<string, unknown> {
  const on = new Set<string>(resilience.retry_on.filter((reason) => reason !== '429'));
  const retry429 = resilience.retry_on.includes('429');
  if (retry429) on.add('retriable-status-codes');
  const policy: Record<string, unknown> = {
    retry_on: [...on].join(','),
    num_retries: resilience.max_attempts - 1,
    retry_back_off: { base_interval: envoyDuration(resilience.backoff_base), max_interval: envoyDuration(resilience.backoff_max) },
    retry_host_predicate: [
      {
        name: 'envoy.retry_host_predicates.previous_hosts',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' },
      },
    ],
    host_selection_retry_max_attempts: 3,
    retry_priority: {
      name: 'envoy.retry_priorities.previous_priorities',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig',
        update_frequency: resilience.attempts_per_level,
      },
    },
  };
  if (retry429) {
    policy.retriable_status_codes = [429];
    // A provider's Retry-After (seconds) sets the wait before the next try, up to retry_after_max.
    policy.rate_limited_retry_back_off = { reset_headers: [{ name: 'retry-after', format: 'SECONDS' }], max_interval: envoyDuration(resilience.retry_after_max) };
  }
  if (durationMilliseconds(resilience.per_try_timeout) > 0) policy.per_try_timeout = envoyDuration(resilience.per_try_timeout);
  if (durationMilliseconds(resilience.per_try_idle_timeout) > 0) policy.per_try_idle_timeout = envoyDuration(resilience.per_try_idle_timeout);
  return policy;
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

function sidecarGrpcService(phase: 'router' | 'attempt'): Record<string, unknown> {
  return {
    envoy_grpc: { cluster_name: SIDECAR_CLUSTER },
    initial_metadata: [{ key: PHASE_METADATA_KEY, value: phase }],
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
        http_health_check: { path: '/healthz', codec_client_type: 'HTTP1' },
      },
    ],
    load_assignment: {
      cluster_name: SIDECAR_CLUSTER,
      endpoints: [
        {
          lb_endpoints: [
            {
              endpoint: {
                address: socketAddress(sidecar.address, sidecar.grpc_port),
                health_check_config: { port_value: sidecar.admin_port },
              },
            },
          ],
        },
      ],
    },
  };
}

function modelCluster(view: RuntimeView, route: ModelRoute): Record<string, unknown> {
  const anyTls = route.targets.some((target) => target.provider.tls);
  const cluster: Record<string, unknown> = {
    name: route.cluster,
    type: 'STRICT_DNS',
    dns_lookup_family: 'V4_PREFERRED',
    // Envoy has one connect timeout per cluster: the most patient target's.
    connect_timeout: envoyDuration(route.targets.map((target) => target.provider.connectTimeout).sort(byDuration).at(-1) ?? '5s'),
    per_connection_buffer_limit_bytes: view.configuration.listener.max_request_bytes,
    load_assignment: { cluster_name: route.cluster, endpoints: priorityLevels(view, route) },
    // Each target is health-checked against the sidecar, not the provider: the sidecar answers for the
    // target named in the Host header, 503 when its provider has no credential. Envoy then never sends
    // an attempt (or a fallback) to a target that cannot be authenticated.
    health_checks: [
      {
        timeout: '1s',
        interval: '5s',
        no_traffic_interval: '5s',
        unhealthy_threshold: 1,
        healthy_threshold: 1,
        // A target paused at its provider's request fails its checks until the pause ends; then it is back within a second.
        unhealthy_interval: '1s',
        http_health_check: { path: TARGET_HEALTH_PATH, codec_client_type: 'HTTP1' },
        transport_socket_match_criteria: { tls: 'false' },
      },
    ],
    outlier_detection: outlierDetection(view.configuration.resilience),
    // Envoy batches host-set changes (ejections, health flips) for 1 s by default before workers see
    // them; a model's clusters have a handful of hosts, so apply each change at once and an ejected
    // target stops receiving traffic as soon as it is ejected.
    common_lb_config: { update_merge_window: '0s' },
    circuit_breakers: circuitBreakers(view.configuration.resilience),
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': HTTP_OPTIONS_TYPE,
        explicit_http_config: { http_protocol_options: {} },
        // Runs once per upstream attempt, for models with several targets: the attempt processor learns which
        // target Envoy picked and writes that provider's body, path and credential (ARCHITECTURE.md).
        // Models with one target run it for the answers only: a provider's request to pause is seen per attempt.
        http_filters: hasAttemptProcessor(route) ? attemptFilters() : answerFilters(),
      },
    },
  };
  // One cluster may mix plaintext (local) and TLS (hosted) providers: the socket is picked per endpoint.
  // Health checks always talk plaintext to the sidecar.
  const plaintext = { name: 'plaintext', match: { tls: 'false' }, transport_socket: { name: 'envoy.transport_sockets.raw_buffer', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer' } } };
  cluster.transport_socket_matches = [plaintext];
  if (anyTls) {
    cluster.transport_socket_matches = [
      plaintext,
      {
        name: 'tls',
        match: { tls: 'true' },
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
            // SNI and certificate name checks follow each endpoint's hostname.
            auto_host_sni: true,
            auto_sni_san_validation: true,
            common_tls_context: {
              validation_context: { trusted_ca: { filename: view.configuration.envoy.trusted_ca_file } },
            },
          },
        },
      },
    ];
  }
  return cluster;
}

/**
 * The attempt processor as an upstream filter. It sees each attempt's response headers (a
 * provider's request to pause) and may read a failure's body (Gemini's RetryInfo); it may
 * mark the host as failing its health check (an x-envoy-* header, hence allow_envoy).
 */
function attemptProcessorFilter(writesRequests: boolean): Record<string, unknown> {
  return skippedForSuccesses({
    name: 'envoy.filters.http.ext_proc',
    typed_config: {
      '@type': EXT_PROC_TYPE,
      grpc_service: sidecarGrpcService('attempt'),
      failure_mode_allow: false,
      processing_mode: {
        request_header_mode: writesRequests ? 'SEND' : 'SKIP',
        request_body_mode: 'NONE',
        request_trailer_mode: 'SKIP',
        response_header_mode: 'SEND',
        response_body_mode: 'NONE',
        response_trailer_mode: 'SKIP',
      },
      ...(writesRequests ? { request_attributes: [TARGET_ATTRIBUTE, REQUEST_ID_ATTRIBUTE] } : { response_attributes: [TARGET_ATTRIBUTE, REQUEST_ID_ATTRIBUTE] }),
      allow_mode_override: true,
      mutation_rules: { allow_envoy: true },
      message_timeout: '5s',
      metadata_options: { receiving_namespaces: { untyped: [METADATA_NAMESPACE] } },
    },
  });
}

/**
 * Wraps an upstream filter so that Envoy leaves it out of an answer with a 1xx, 2xx or 3xx
 * status: only failures can ask for a pause, and a success then costs no gRPC exchange
 * for its response headers.
 */
function skippedForSuccesses(filter: { name: string; typed_config: Record<string, unknown> }): Record<string, unknown> {
  const skip = { action: { name: 'skip', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.common.matcher.action.v3.SkipFilter' } } };
  return {
    name: filter.name,
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.common.matching.v3.ExtensionWithMatcher',
      extension_config: filter,
      xds_matcher: {
        matcher_tree: {
          input: { name: 'status_class', typed_config: { '@type': 'type.googleapis.com/envoy.type.matcher.v3.HttpResponseStatusCodeClassMatchInput' } },
          exact_match_map: { map: { '1xx': skip, '2xx': skip, '3xx': skip } },
        },
      },
    },
  };
}

/** The upstream filters of a model with one target: the attempt processor for the answers only. */
function answerFilters(): Record<string, unknown>[] {
  return [
    attemptProcessorFilter(false),
    {
      name: 'envoy.filters.http.upstream_codec',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec' },
    },
  ];
}

/** The upstream filters of a model with several targets: the attempt processor, then content-length restored. */
function attemptFilters(): Record<string, unknown>[] {
  return [
    attemptProcessorFilter(true),
    {
      // CONTINUE_AND_REPLACE makes Envoy drop content-length, and a chunked upload is refused by
      // some providers; the attempt processor hands the length over as dynamic metadata instead.
      name: 'envoy.filters.http.header_mutation',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation',
        mutations: {
          request_mutations: [
            {
              append: {
                header: { key: 'content-length', value: `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:${CONTENT_LENGTH_METADATA_KEY})%` },
                append_action: 'ADD_IF_ABSENT',
              },
            },
          ],
        },
      },
    },
    {
      name: 'envoy.filters.http.upstream_codec',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec' },
    },
  ];
}

/** The fallback chain as Envoy endpoint priorities: level n of the chain is priority n. */
function priorityLevels(view: RuntimeView, route: ModelRoute): Record<string, unknown>[] {
  const levels = new Map<number, TargetRuntime[]>();
  for (const target of route.targets) levels.set(target.priority, [...(levels.get(target.priority) ?? []), target]);
  return [...levels.entries()]
    .sort(([left], [right]) => left - right)
    .map(([priority, targets]) => ({ priority, lb_endpoints: targets.map((target) => targetEndpoint(view, target)) }));
}

function outlierDetection(resilience: ResilienceConfiguration): Record<string, unknown> {
  const detection = resilience.outlier_detection;
  return {
    consecutive_5xx: detection.consecutive_5xx,
    consecutive_gateway_failure: detection.consecutive_gateway_failure,
    interval: envoyDuration(detection.interval),
    base_ejection_time: envoyDuration(detection.base_ejection_time),
    max_ejection_time: envoyDuration(detection.max_ejection_time),
    max_ejection_percent: detection.max_ejection_percent,
    // Connection failures count as gateway failures without waiting for a 5xx.
    split_external_local_origin_errors: false,
    // Targets are actively health-checked against the sidecar (does the provider have a key?), which
    // always passes for a target that keeps failing; by default a passing check un-ejects the host,
    // which cut every ejection short to the check interval.
    successful_active_health_check_uneject_host: false,
  };
}

function circuitBreakers(resilience: ResilienceConfiguration): Record<string, unknown> {
  const breakers = resilience.circuit_breakers;
  return {
    thresholds: [
      {
        priority: 'DEFAULT',
        max_connections: breakers.max_connections,
        max_pending_requests: breakers.max_pending_requests,
        max_requests: breakers.max_requests,
        max_retries: breakers.max_retries,
        retry_budget: { budget_percent: { value: breakers.retry_budget_percent }, min_retry_concurrency: breakers.min_retry_concurrency },
        track_remaining: true,
      },
    ],
  };
}

function targetEndpoint(view: RuntimeView, target: TargetRuntime): Record<string, unknown> {
  const { sidecar } = view.configuration;
  const { provider } = target;
  const port = provider.baseUrl.port ? Number(provider.baseUrl.port) : provider.tls ? 443 : 80;
  const metadata: Record<string, unknown> = {
    filter_metadata: {
      [METADATA_NAMESPACE]: { [TARGET_METADATA_KEY]: target.id, provider: provider.name },
      'envoy.transport_socket_match': { tls: String(provider.tls) },
    },
  };
  return {
    endpoint: {
      // auto_host_rewrite sends this as the Host header.
      hostname: provider.authority,
      address: socketAddress(provider.baseUrl.hostname.replace(/^\[|\]$/g, ''), port),
      health_check_config: { address: socketAddress(sidecar.address, sidecar.admin_port), hostname: target.id },
    },
    load_balancing_weight: target.weight,
    metadata,
  };
}

function byDuration(left: string, right: string): number {
  return durationMilliseconds(left) - durationMilliseconds(right);
}

/** Envoy's JSON form of a duration: seconds with an "s" suffix ("100ms" -> "0.1s"). */
export function envoyDuration(value: string): string {
  return `${durationMilliseconds(value) / 1000}s`;
}


function socketAddress(address: string, port: number): Record<string, unknown> {
  return { socket_address: { address, port_value: port } };
}
