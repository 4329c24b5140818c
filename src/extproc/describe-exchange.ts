import { METADATA_NAMESPACE, ROUTE_HEADER } from '../config/envoy-contract.js';
import { GATEWAY_REQUEST_ID_HEADER, REQUEST_ID_HEADER } from './request-id.js';
import type { CommonResponse, HttpBody, HttpHeaders, ProcessingRequest, ProcessingResponse } from './messages.js';
import { fromProtoStruct } from './proto-struct.js';
import { GATEWAY_ERROR_HEADER } from './responses.js';

/**
 * Headers whose values a debug line may show: routing facts. Every other header set is
 * named without its value, because the attempt processor sets provider credentials.
 */
const SHOWN_HEADERS = new Set([ROUTE_HEADER, REQUEST_ID_HEADER, GATEWAY_REQUEST_ID_HEADER, GATEWAY_ERROR_HEADER, 'traceparent', ':path', ':authority', 'host', 'content-length', 'content-type']);

/**
 * One ext_proc message and the sidecar's reply, as fields for a debug line: what Envoy sent
 * (kind, end of stream, body size), and what the reply did: continue or replace, the route
 * chosen (x-gateway-route), the headers set (values only for routing headers, never
 * credentials), headers removed, body replaced (its size, never its text), the response
 * body mode chosen (mode_override), an immediate response's status, and the facts handed
 * to Envoy's access log. Called only when debug lines are on.
 */
export function describeExchange(request: ProcessingRequest, reply: ProcessingResponse): Record<string, unknown> {
  const kind = request.request ?? 'unknown';
  const fields: Record<string, unknown> = { message: kind };
  const received: HttpHeaders | HttpBody | undefined = request.request_headers ?? request.request_body ?? request.response_headers ?? request.response_body;
  if (received?.end_of_stream) fields.end_of_stream = true;
  if (received !== undefined && 'body' in received) fields.body_bytes = received.body?.length ?? 0;
  if (reply.immediate_response !== undefined) {
    fields.reply = 'immediate_response';
    fields.status = reply.immediate_response.status.code;
  } else {
    const answered = reply.request_headers ?? reply.request_body ?? reply.response_headers ?? reply.response_body;
    Object.assign(fields, describeCommon(answered?.response));
  }
  if (reply.mode_override?.response_body_mode !== undefined) fields.response_body_mode = reply.mode_override.response_body_mode;
  const facts = fromProtoStruct(reply.dynamic_metadata)[METADATA_NAMESPACE];
  if (facts !== undefined) fields.metadata = facts;
  return fields;
}

function describeCommon(response: CommonResponse | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = { reply: response?.status ?? 'CONTINUE' };
  const set = response?.header_mutation?.set_headers;
  if (set !== undefined && set.length > 0) {
    const headers: Record<string, string> = {};
    for (const { header } of set) headers[header.key] = SHOWN_HEADERS.has(header.key) ? header.raw_value.toString('latin1') : '(set)';
    fields.set_headers = headers;
  }
  const removed = response?.header_mutation?.remove_headers;
  if (removed !== undefined && removed.length > 0) fields.removed_headers = removed;
  if (response?.body_mutation?.body !== undefined) fields.replaced_body_bytes = response.body_mutation.body.length;
  if (response?.body_mutation?.clear_body) fields.replaced_body_bytes = 0;
  if (response?.clear_route_cache) fields.clear_route_cache = true;
  return fields;
}
