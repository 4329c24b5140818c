import { METADATA_NAMESPACE } from '../../config/envoy-contract.js';
import { asGatewayError } from '../../errors.js';
import type { LocalAnswer } from '../../endpoints/endpoint.js';
import type { TokenCounter } from '../../gateway/token-counter.js';
import type { ProcessingResponse } from '../../extproc/messages.js';
import { toProtoStruct } from '../../extproc/proto-struct.js';
import { continueRequestBody, jsonImmediateResponse } from '../../extproc/responses.js';
import type { Exchange } from '../exchange.js';
import { refuse } from '../refuse.js';
import type { RequestStage } from '../request-stage.js';

/**
 * An endpoint that answers a request itself (count_tokens estimated for a target that cannot
 * count): the caller is admitted (keys, model scopes, limits), then answered without a provider.
 */
export const answerLocally: RequestStage = {
  name: 'answer locally',
  run(exchange) {
    const route = exchange.route!;
    const primary = route.targets.find((target) => target.provider.unavailableReason === undefined)!;
    const localAnswer = exchange.endpoint!.localAnswer?.(exchange.request, primary);
    if (localAnswer === undefined) return undefined;
    const admission = exchange.dependencies.governance.admit({ credential: exchange.credential, route, bounds: exchange.bounds });
    if (admission === undefined) return answer(exchange, localAnswer, route.alias);
    exchange.lifecycle.admitting();
    return admission.then((admitted) => (exchange.lifecycle.admitted(admitted) ? answer(exchange, localAnswer, route.alias) : continueRequestBody()));
  },
};

/**
 * Answers an admitted request without a provider. The admission is released at once, before
 * the answer is computed: nothing is spent, and a stream that ends meanwhile then has nothing
 * left to release.
 */
async function answer(exchange: Exchange, compute: (counter: Omit<TokenCounter, 'start'>) => Promise<LocalAnswer>, model: string): Promise<ProcessingResponse> {
  const rateLimitHeaders = exchange.lifecycle.admission?.headers ?? {};
  const keyAlias = exchange.lifecycle.admission?.key.alias ?? null;
  exchange.lifecycle.refused();
  try {
    const { body, headers } = await compute(exchange.dependencies.tokenCounter);
    const reply = jsonImmediateResponse(200, body, { ...rateLimitHeaders, ...headers });
    reply.dynamic_metadata = toProtoStruct({ [METADATA_NAMESPACE]: { path: exchange.clientPath, model, key_alias: keyAlias } });
    return reply;
  } catch (thrown) {
    return refuse(exchange, asGatewayError(thrown), model);
  }
}
