import type { OpenAIErrorBody } from '../errors.js';
import type { TranslatedResponse } from './provider-adapter.js';

/**
 * A provider answered 2xx with something the gateway cannot read: the upstream failed, not
 * the client, so the client gets a 502 (whole responses) or an error event (streams).
 */
export function unreadableResponse(): TranslatedResponse {
  const body: OpenAIErrorBody = { error: { message: 'The upstream provider sent a response the gateway could not read.', type: 'server_error', param: null, code: 'bad_upstream_response' } };
  return { status: 502, body: Buffer.from(JSON.stringify(body)), headers: { 'content-type': 'application/json' }, usage: undefined, model: undefined };
}

export function unreadableStreamEvent(): OpenAIErrorBody {
  return { error: { message: 'The upstream provider sent a stream event the gateway could not read.', type: 'server_error', param: null, code: 'bad_upstream_response' } };
}
