import { durationMilliseconds } from './duration.js';
import { BRIEF_ATTRIBUTES, CONTENT_LENGTH_METADATA_KEY, METADATA_NAMESPACE, REQUEST_ID_ATTRIBUTE, TARGET_ATTRIBUTE, TARGET_HEALTH_PATH, TARGET_METADATA_KEY } from './envoy-contract.js';
import { envoyDuration, EXT_PROC_TYPE, HTTP_OPTIONS_TYPE, sidecarGrpcService, socketAddress } from './envoy-config-parts.js';
import { hasAttemptProcessor, type ModelRoute, type RuntimeView, type TargetRuntime } from './runtime.js';
import type { ResilienceConfiguration } from './schema.js';

/**
 * One Envoy cluster per model (and per combination of its chain's levels): the model's targets
 * as endpoints in priority levels, health-checked through the sidecar, with the attempt
 * processor and the upstream filters each attempt passes through.
 */
export function modelCluster(view: RuntimeView, route: ModelRoute): Record<string, unknown> {
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
        // The client's request, as the router processor parsed it, is translated for the target Envoy picked.
        request_body_mode: writesRequests ? 'BUFFERED' : 'NONE',
        request_trailer_mode: 'SKIP',
        response_header_mode: 'SEND',
        response_body_mode: 'NONE',
        response_trailer_mode: 'SKIP',
      },
      // The router's brief travels as dynamic metadata: the attempt may be served by another sidecar process.
      ...(writesRequests ? { request_attributes: [TARGET_ATTRIBUTE, REQUEST_ID_ATTRIBUTE, ...BRIEF_ATTRIBUTES] } : { response_attributes: [TARGET_ATTRIBUTE, REQUEST_ID_ATTRIBUTE, ...BRIEF_ATTRIBUTES] }),
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
