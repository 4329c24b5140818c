import type { HeaderMap, HeaderMutation, HeaderValueOption } from './messages.js';

/** Request headers as Envoy sent them: lower-case names, values decoded from raw_value. */
export type HeaderRecord = Record<string, string>;

export function readHeaders(map: HeaderMap | undefined): HeaderRecord {
  const headers: HeaderRecord = {};
  for (const header of map?.headers ?? []) {
    // Envoy sends raw_value (bytes); `value` only with an old runtime guard.
    const value = header.raw_value !== undefined ? header.raw_value.toString('latin1') : (header.value ?? '');
    const existing = headers[header.key];
    headers[header.key] = existing === undefined ? value : `${existing},${value}`;
  }
  return headers;
}

/**
 * Envoy reads only raw_value and, in ext_proc, used to ignore append_action in favour of the
 * deprecated `append` (default: overwrite). OVERWRITE_IF_EXISTS_OR_ADD says what is meant either way.
 */
export function setHeader(key: string, value: string): HeaderValueOption {
  return { header: { key, raw_value: Buffer.from(value, 'latin1') }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' };
}

export function headerMutation(set: Record<string, string>, remove: string[] = []): HeaderMutation {
  const mutation: HeaderMutation = {};
  const entries = Object.entries(set);
  if (entries.length > 0) mutation.set_headers = entries.map(([key, value]) => setHeader(key, value));
  if (remove.length > 0) mutation.remove_headers = remove;
  return mutation;
}

/** The gateway's own header prefix. Anything a client sends under it is dropped on arrival. */
export const INTERNAL_HEADER_PREFIX = 'x-gateway-';

/**
 * Client headers that must never reach a provider: the client's own credentials (the gateway
 * injects the provider's), cookies, and headers whose meaning the gateway owns (an Anthropic
 * target gets the client's anthropic-version and -beta back from the Messages endpoint, which
 * read them first; no other provider gets them). accept-encoding
 * is dropped so providers answer uncompressed and metering reads plain bytes.
 */
const CLIENT_HEADERS_NEVER_FORWARDED = new Set([
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

/** Which of the client's request headers to remove before anything else reads them. */
export function clientHeadersToRemove(headers: HeaderRecord): string[] {
  const remove: string[] = [];
  for (const name of Object.keys(headers)) {
    if (CLIENT_HEADERS_NEVER_FORWARDED.has(name) || name.startsWith(INTERNAL_HEADER_PREFIX) || name.startsWith('x-envoy-')) {
      remove.push(name);
    }
  }
  return remove;
}
