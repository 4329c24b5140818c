import { headerMutation } from '../extproc/headers.js';
import type { ProcessingResponse } from '../extproc/messages.js';

/**
 * Envoy's immediate response for a cache hit: a 200 with the replayed body (JSON, or a
 * whole event stream, which Envoy sends as the body of a text/event-stream response).
 */
export function cacheHitResponse(body: Buffer, headers: Record<string, string>): ProcessingResponse {
  return {
    immediate_response: {
      status: { code: 200 },
      headers: headerMutation(headers),
      body,
      details: 'gateway_cache_hit',
    },
  };
}
