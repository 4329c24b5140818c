import { ATTEMPT_COUNT_HEADER, IMMEDIATE_HEALTH_CHECK_FAIL_HEADER, OBSERVE_HEADER, ROUTE_HEADER, TARGETS_PAUSED_HEADER } from './envoy-contract.js';

/**
 * Every header rule of the gateway, in one place: what is removed from a client's request, which
 * headers the gateway sets per provider, and which of a provider's answer headers a client never
 * sees. The processors (src/extproc) and the Envoy renderer (render-envoy.ts) apply these lists;
 * none of them keeps its own. The rules enforce two promises: a client's credentials and the
 * gateway's internal headers never reach a provider, and a provider's credentials, account and
 * internal signals never reach a client.
 */

/** The gateway's own header prefix. Anything a client sends under it is dropped on arrival. */
export const INTERNAL_HEADER_PREFIX = 'x-gateway-';

/**
 * Envoy's control-header prefix. A client could steer timeouts and retries with it; the sidecar
 * removes every such header a client sends (the router filter has allow_envoy for that).
 */
export const ENVOY_HEADER_PREFIX = 'x-envoy-';

/**
 * Client headers that must never reach a provider: the client's own credentials (the gateway
 * injects the provider's), cookies, and headers whose meaning the gateway owns (an Anthropic
 * target gets the client's anthropic-version and -beta back from the Messages endpoint, which
 * read them first; no other provider gets them). accept-encoding is dropped so providers answer
 * uncompressed and metering reads plain bytes.
 */
export const CLIENT_HEADERS_NEVER_FORWARDED: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
  'anthropic-version',
  'anthropic-beta',
  'openai-organization',
  'openai-project',
  'accept-encoding',
]);

/**
 * Whether the router processor removes this client request header (lower-case name) before
 * anything else reads it: the list above, the gateway's internal headers and Envoy's controls.
 */
export function isRemovedFromClientRequest(name: string): boolean {
  return CLIENT_HEADERS_NEVER_FORWARDED.has(name) || name.startsWith(INTERNAL_HEADER_PREFIX) || name.startsWith(ENVOY_HEADER_PREFIX);
}

/**
 * Removed by Envoy's route before any attempt (request_headers_to_remove): the routing and
 * observing headers (the sidecar's instructions to Envoy, not the provider's business), and proxy headers that
 * would tell the provider the client's address and the gateway's own host name.
 */
export const HEADERS_NOT_FORWARDED: readonly string[] = [ROUTE_HEADER, OBSERVE_HEADER, 'x-forwarded-for', 'x-forwarded-proto', 'x-envoy-original-host', 'x-envoy-expected-rq-timeout-ms'];

/**
 * Every header a provider adapter may set for its provider: credentials and API-version pins.
 * Each attempt clears the ones its provider does not use: Envoy hands each retry the header map
 * the previous attempt left, so a fallback to another provider would otherwise carry the
 * previous provider's key.
 */
export const PROVIDER_OWNED_HEADERS: readonly string[] = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'anthropic-version', 'anthropic-beta'];

/**
 * Provider answer headers that describe the gateway's provider account, not the client's
 * request: organisation and project ids, cookies, the account's rate limits (the gateway sends
 * its own per key), the CDN's ray id, and Envoy's upstream timing.
 */
const PROVIDER_ACCOUNT_RESPONSE_HEADERS = /^(openai-organization|openai-project|anthropic-organization-id|set-cookie|x-ratelimit-|cf-ray$|x-envoy-upstream)/;

/** Set by the attempt processor for Envoy and the router processor (mark the host failing; every target paused), never for the client. */
const ATTEMPT_SIGNAL_HEADERS: ReadonlySet<string> = new Set([IMMEDIATE_HEALTH_CHECK_FAIL_HEADER, TARGETS_PAUSED_HEADER, ATTEMPT_COUNT_HEADER]);

/**
 * Whether the router processor hides this answer header (lower-case name) from the client: the
 * provider's account headers, and the signals the attempt processor and Envoy pass to the
 * router processor (including Envoy's attempt count).
 */
export function isHiddenFromClient(name: string): boolean {
  return PROVIDER_ACCOUNT_RESPONSE_HEADERS.test(name) || ATTEMPT_SIGNAL_HEADERS.has(name);
}
