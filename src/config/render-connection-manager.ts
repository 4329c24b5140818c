import { anthropicErrorFormat } from './anthropic-error-format.js';
import { durationMilliseconds } from './duration.js';
import { METADATA_NAMESPACE, ROUTE_HEADER, ROUTER_PROCESSING_MODE, TRIED_ATTRIBUTE } from './envoy-contract.js';
import { envoyDuration, EXT_PROC_TYPE, sidecarGrpcService } from './envoy-config-parts.js';
import { envoyLocalReplyKinds } from './envoy-local-reply-kinds.js';
import { HEADERS_NOT_FORWARDED } from './header-policy.js';
import { openAIErrorFormat } from './openai-error-format.js';
import { renderLocalReplyConfig } from './render-local-reply-config.js';
import { observerFilter } from './render-observer-filter.js';
import type { RuntimeView } from './runtime.js';
import type { ResilienceConfiguration } from './schema.js';

/** Request line and headers together, in KiB; larger requests get a 431 (Envoy's default). */
export const MAX_REQUEST_HEADERS_KIB = 60;
/** Header fields in one request; more get a 431 (Envoy's default). */
export const MAX_REQUEST_HEADERS = 100;

/**
 * The client listener's HTTP connection manager: its limits and timeouts, the route (the
 * model's cluster from the routing header the router processor writes, with retries and
 * fallback), the router-level ext_proc filter, and Envoy's own replies in the client's format.
 */
export function httpConnectionManager(view: RuntimeView): Record<string, unknown> {
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
                request_headers_to_remove: [...HEADERS_NOT_FORWARDED],
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
            // With the answer: the attempts of a model with several targets, as the attempt processor wrote them
            // (it may run in another sidecar process), the last one the target that answered.
            response_attributes: [TRIED_ATTRIBUTE],
            // allow_envoy lets the sidecar remove client-sent x-envoy-* headers (timeouts, retries) before the router reads them.
            mutation_rules: { allow_envoy: true },
            message_timeout: '5s',
            max_message_timeout: '30s',
            metadata_options: { receiving_namespaces: { untyped: [METADATA_NAMESPACE] } },
          },
        },
        // Pass-through answers that need only observing: read without Envoy waiting (render-observer-filter.ts).
        ...(configuration.sidecar.pass_through_observability_mode ? [observerFilter()] : []),
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
