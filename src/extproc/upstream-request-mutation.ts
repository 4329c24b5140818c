import type { UpstreamRequest } from '../providers/provider-adapter.js';
import { headerMutation } from './headers.js';
import type { HeaderMutation } from './messages.js';

/** Every header an adapter may set for its provider: credentials and API-version pins. */
const PROVIDER_OWNED_HEADERS = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'anthropic-version', 'anthropic-beta'];

/**
 * The header changes that turn the client's request into one provider's: that provider's
 * path and headers (credential, API version), uncompressed answers (metering reads plain
 * bytes, and a provider may compress when no encoding is named), and every provider-owned
 * header this provider does not use cleared: Envoy hands each retry the header map the
 * previous attempt left, so a fallback to another provider would otherwise carry the
 * previous provider's key. (The route removes the routing and proxy headers:
 * HEADERS_NOT_FORWARDED in render-envoy.ts.)
 */
export function upstreamRequestMutation(upstream: UpstreamRequest, extra: Record<string, string> = {}): HeaderMutation {
  const remove = PROVIDER_OWNED_HEADERS.filter((name) => !(name in upstream.headers));
  return headerMutation({ ':path': upstream.path, 'accept-encoding': 'identity', ...upstream.headers, ...extra }, remove);
}
