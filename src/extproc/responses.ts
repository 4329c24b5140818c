import { anthropicErrorBody } from '../api/anthropic-messages/anthropic-error-body.js';
import type { ClientFormat } from '../endpoints/endpoint.js';
import { toOpenAIErrorBody, type GatewayError } from '../errors.js';
import { headerMutation } from './headers.js';
import type { CommonResponse, HeaderMutation, ProcessingMode, ProcessingResponse } from './messages.js';

/**
 * Builders for the replies the processors send. Each ProcessingRequest gets exactly one
 * of these, in order (the ext_proc contract for non-duplex modes).
 */

/** Marks replies the gateway made itself, so Envoy's local_reply_config leaves them alone. */
export const GATEWAY_ERROR_HEADER = 'x-gateway-error';

/** The reply to request headers; `modeOverride` changes the phases Envoy sends for the rest of this request. */
export function continueRequestHeaders(mutation?: HeaderMutation, modeOverride?: ProcessingMode): ProcessingResponse {
  const reply: ProcessingResponse = { request_headers: { response: common(mutation) } };
  if (modeOverride) reply.mode_override = modeOverride;
  return reply;
}

/** The reply to a buffered request body; with `body`, it replaces the body (header changes still apply: the headers are held). */
export function continueRequestBody(mutation?: HeaderMutation, clearRouteCache = false, body?: Buffer): ProcessingResponse {
  const response = common(mutation);
  if (clearRouteCache) response.clear_route_cache = true;
  if (body !== undefined) response.body_mutation = { body };
  return { request_body: { response } };
}

export function replaceRequest(mutation: HeaderMutation, body: Buffer): ProcessingResponse {
  return { request_headers: { response: { status: 'CONTINUE_AND_REPLACE', header_mutation: mutation, body_mutation: { body } } } };
}

export function continueResponseHeaders(mutation?: HeaderMutation, modeOverride?: ProcessingMode): ProcessingResponse {
  const reply: ProcessingResponse = { response_headers: { response: common(mutation) } };
  if (modeOverride) reply.mode_override = modeOverride;
  return reply;
}

export function responseBody(body?: Buffer, mutation?: HeaderMutation): ProcessingResponse {
  const response = common(mutation);
  if (body !== undefined) response.body_mutation = body.length > 0 ? { body } : { clear_body: true };
  return { response_body: { response } };
}

export const CONTINUE_RESPONSE_BODY: ProcessingResponse = Object.freeze({ response_body: Object.freeze({}) }) as ProcessingResponse;

export function jsonImmediateResponse(status: number, payload: unknown, headers: Record<string, string> = {}, details = 'gateway'): ProcessingResponse {
  return {
    immediate_response: {
      status: { code: status },
      headers: headerMutation({ 'content-type': 'application/json', ...headers }),
      body: Buffer.from(JSON.stringify(payload)),
      details,
    },
  };
}

/**
 * The single place a GatewayError becomes a client-visible reply, in the error shape of the
 * client's format: OpenAI's `{"error":{...}}`, or Anthropic's `{"type":"error","error":{type,message}}`
 * (whose type follows the status, as the Anthropic SDK picks its exception by status).
 */
export function errorImmediateResponse(error: GatewayError, format: ClientFormat = 'openai', extraHeaders: Record<string, string> = {}): ProcessingResponse {
  return jsonImmediateResponse(
    error.status,
    format === 'anthropic' ? anthropicErrorBody(error) : toOpenAIErrorBody(error),
    { [GATEWAY_ERROR_HEADER]: error.code, ...error.headers, ...extraHeaders },
    `gateway_${error.code}`,
  );
}

function common(mutation?: HeaderMutation): CommonResponse {
  return mutation && (mutation.set_headers || mutation.remove_headers) ? { header_mutation: mutation } : {};
}
