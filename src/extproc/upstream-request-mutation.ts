import { PROVIDER_OWNED_HEADERS } from '../config/header-policy.js';
import type { UpstreamRequest } from '../providers/provider-adapter.js';
import { headerMutation } from './headers.js';
import type { HeaderMutation } from './messages.js';


/**
 * The header changes that turn the client's request into one provider's: that provider's
 * path and headers (credential, API version), uncompressed answers (metering reads plain
 * bytes, and a provider may compress when no encoding is named), and every provider-owned
 * header this provider does not use cleared (PROVIDER_OWNED_HEADERS in config/header-policy.ts,
 * which says why).
 */
export function upstreamRequestMutation(upstream: UpstreamRequest, extra: Record<string, string> = {}): HeaderMutation {
  const remove = PROVIDER_OWNED_HEADERS.filter((name) => !(name in upstream.headers));
  return headerMutation({ ':path': upstream.path, 'accept-encoding': 'identity', ...upstream.headers, ...extra }, remove);
}
