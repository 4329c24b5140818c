import { isRemovedFromClientRequest } from '../config/header-policy.js';
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

/** Which of the client's request headers to remove before anything else reads them (config/header-policy.ts). */
export function clientHeadersToRemove(headers: HeaderRecord): string[] {
  return Object.keys(headers).filter(isRemovedFromClientRequest);
}
