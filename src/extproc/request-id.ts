import type { HeaderRecord } from './headers.js';

/** The request's id, as Envoy writes it (generate_request_id) and the OpenAI SDKs read it from answers. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** The same id under the gateway's own name, on every answer (kept for clients that read it already). */
export const GATEWAY_REQUEST_ID_HEADER = 'x-gateway-request-id';
/** A provider's own x-request-id, passed on under this name: x-request-id names the gateway's request. */
export const UPSTREAM_REQUEST_ID_HEADER = 'x-upstream-request-id';

/**
 * An id fit to name a request in logs, answers and the request store: 1 to 200 visible ASCII
 * characters with no comma (a comma means the header was sent twice). Envoy's UUIDs always are;
 * a client's own id reaches the sidecar only when the operator trusts clients'
 * (listener.trust_client_request_id).
 */
const USABLE_REQUEST_ID = /^[\x21-\x2b\x2d-\x7e]{1,200}$/;

/**
 * The request's id: Envoy's x-request-id from the request headers, or a new one from `newId`
 * when there is none or it is unusable. `replaced` says the request header must be set to the
 * new id, so Envoy's access log and answer name the request as the sidecar does.
 */
export function requestIdOf(headers: HeaderRecord, newId: () => string): { id: string; replaced: boolean } {
  const received = headers[REQUEST_ID_HEADER];
  if (received !== undefined && USABLE_REQUEST_ID.test(received)) return { id: received, replaced: false };
  return { id: newId(), replaced: true };
}

/** The response headers that name the request, on every answer the sidecar writes or passes on. */
export function requestIdHeaders(id: string): Record<string, string> {
  return { [REQUEST_ID_HEADER]: id, [GATEWAY_REQUEST_ID_HEADER]: id };
}
