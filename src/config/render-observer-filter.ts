import { OBSERVE_HEADER, OBSERVE_HEADER_VALUE, OBSERVER_PROCESSING_MODE, REQUEST_ID_ATTRIBUTE } from './envoy-contract.js';
import { EXT_PROC_TYPE, sidecarGrpcService } from './envoy-config-parts.js';

/**
 * How long Envoy keeps an observer stream open after its request ended, so chunks still on their
 * way reach the sidecar (Envoy's default is 5 s). The sidecar meters a stream cut short when its
 * observer stream ends: this is how late that can be.
 */
export const OBSERVER_DEFERRED_CLOSE = '1s';

/**
 * The observability-mode ext_proc filter (sidecar.pass_through_observability_mode), placed after
 * the router-level filter: Envoy sends it a pass-through answer's body chunks and never waits for
 * a reply. It runs only for requests the router processor marked with OBSERVE_HEADER in its
 * request-body reply (the HCM runs the next filter's decodeHeaders only after that reply); every
 * other request skips it (ExtensionWithMatcher + SkipFilter). The request id, which the router
 * wrote as dynamic metadata, comes with the first chunk: the sidecar finds the request by it.
 * A failure of the observer stream alone is let pass (failure_mode_allow): the answer is the
 * provider's own bytes, already cleared at response headers, so cutting it would only lose what
 * the client paid for; the request is metered once all the same (the observer stream's end, or the
 * router stream's if the observer never found it). A sidecar that is down fails the router filter,
 * closed, as without this filter.
 */
export function observerFilter(): Record<string, unknown> {
  return {
    name: 'gateway.observer',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.common.matching.v3.ExtensionWithMatcher',
      xds_matcher: {
        matcher_list: {
          matchers: [
            {
              // Not marked (or marked with anything else): skipped, both directions.
              predicate: {
                not_matcher: {
                  single_predicate: {
                    input: {
                      name: 'observe-header',
                      typed_config: { '@type': 'type.googleapis.com/envoy.type.matcher.v3.HttpRequestHeaderMatchInput', header_name: OBSERVE_HEADER },
                    },
                    value_match: { exact: OBSERVE_HEADER_VALUE },
                  },
                },
              },
              on_match: { action: { name: 'skip', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.common.matcher.action.v3.SkipFilter' } } },
            },
          ],
        },
      },
      extension_config: {
        name: 'envoy.filters.http.ext_proc',
        typed_config: {
          '@type': EXT_PROC_TYPE,
          grpc_service: sidecarGrpcService('observer'),
          observability_mode: true,
          deferred_close_timeout: OBSERVER_DEFERRED_CLOSE,
          failure_mode_allow: true,
          processing_mode: OBSERVER_PROCESSING_MODE,
          response_attributes: [REQUEST_ID_ATTRIBUTE],
          // Its own stats (http.gateway.ext_proc.observer.*), apart from the router filter's.
          stat_prefix: 'observer',
          message_timeout: '5s',
        },
      },
    },
  };
}
