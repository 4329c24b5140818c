import { METADATA_NAMESPACE } from '../config/envoy-contract.js';
import type { ProtoStruct } from '../extproc/messages.js';
import { toProtoStruct } from '../extproc/proto-struct.js';
import { lastAttempt, type RequestContext } from '../gateway/request-context.js';
import type { Exchange } from './exchange.js';

/**
 * Envoy's access-log facts for an answer left to the observer filter, known at response headers
 * (Envoy ignores the observer's replies, so the facts known only at the end, tokens and cost, are
 * in the sidecar's own log line alone).
 */
export function observedAccessLogFacts(exchange: Exchange, context: RequestContext): ProtoStruct {
  const served = lastAttempt(context)?.target;
  return toProtoStruct({
    [METADATA_NAMESPACE]: {
      path: exchange.clientPath,
      model: context.route.alias,
      model_served: served?.model ?? null,
      provider: served?.provider.name ?? null,
      attempts: context.attempts.length,
      key_alias: exchange.lifecycle.admission?.key.alias ?? null,
    },
  });
}
