import { METADATA_NAMESPACE } from '../config/envoy-contract.js';
import { asGatewayError } from '../errors.js';
import type { ProcessingResponse } from '../extproc/messages.js';
import { toProtoStruct } from '../extproc/proto-struct.js';
import { requestIdHeaders } from '../extproc/request-id.js';
import { jsonImmediateResponse } from '../extproc/responses.js';
import { listModels, retrieveModel } from '../gateway/list-models.js';
import { modelAllowed } from '../governance/model-pattern.js';
import type { VirtualKey } from '../governance/virtual-key.js';
import type { Exchange } from './exchange.js';
import { refuse } from './refuse.js';

/**
 * GET /v1/models and /v1/models/{model}, answered at the request headers: the models the
 * caller may use (every model for an anonymous client of an open gateway).
 */
export function answerModels(exchange: Exchange, key: VirtualKey | undefined): ProcessingResponse {
  exchange.modelsKeyAlias = key?.alias;
  try {
    const view = exchange.view!;
    const created = Math.floor(exchange.dependencies.clock() / 1000);
    const allowed = (alias: string) => key === undefined || modelAllowed(key.models, alias);
    const path = exchange.path.replace(/\/+$/, '');
    let reply: ProcessingResponse;
    if (path === '/v1/models') {
      reply = jsonImmediateResponse(200, listModels(view, created, allowed), requestIdHeaders(exchange.requestId));
    } else {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      reply = jsonImmediateResponse(200, retrieveModel(view, id, created, allowed), requestIdHeaders(exchange.requestId));
    }
    reply.dynamic_metadata = toProtoStruct({ [METADATA_NAMESPACE]: { path: exchange.clientPath, key_alias: key?.alias ?? null } });
    return reply;
  } catch (thrown) {
    return refuse(exchange, asGatewayError(thrown));
  }
}
