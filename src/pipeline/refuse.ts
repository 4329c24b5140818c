import { METADATA_NAMESPACE } from '../config/envoy-contract.js';
import type { GatewayError } from '../errors.js';
import type { ProcessingResponse } from '../extproc/messages.js';
import { toProtoStruct } from '../extproc/proto-struct.js';
import { requestIdHeaders } from '../extproc/request-id.js';
import { errorImmediateResponse } from '../extproc/responses.js';
import { routingHeaders } from '../routing/routing-headers.js';
import type { Exchange } from './exchange.js';

/**
 * Refuses a request in the client's format: any admission is released, the refusal is
 * metered and logged once, and Envoy's access log gets its facts. `model` is the model the
 * refusal concerns (the client's input: only a configured alias reaches the access log).
 */
export function refuse(exchange: Exchange, error: GatewayError, model?: string): ProcessingResponse {
  // A refusal after admission (no room, a request id in use) names the admitted key.
  const keyAlias = error.keyAlias ?? exchange.lifecycle.admission?.key.alias ?? exchange.modelsKeyAlias;
  exchange.lifecycle.refused();
  exchange.dependencies.meter.refuse(error, { requestId: exchange.requestId, method: exchange.method, path: exchange.path, model, keyAlias });
  const reply = errorImmediateResponse(error, exchange.clientFormat, { ...requestIdHeaders(exchange.requestId), ...routingHeaders(exchange.routeDecision, undefined, undefined) });
  // The access log names the refusal too. The model is the client's input: only a configured alias is written.
  const alias = model !== undefined && exchange.view?.models.has(model) ? model : null;
  const guardrail = error.code === 'guardrail_blocked' ? { guardrail: exchange.guard?.blockedBy ?? null } : {};
  reply.dynamic_metadata = toProtoStruct({ [METADATA_NAMESPACE]: { path: exchange.clientPath, model: alias, error: error.code, key_alias: keyAlias ?? null, ...guardrail } });
  return reply;
}
