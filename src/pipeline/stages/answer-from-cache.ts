import { METADATA_NAMESPACE } from '../../config/envoy-contract.js';
import { createAnswerCapture } from '../../cache/answer-capture.js';
import { CACHE_SIMILARITY_HEADER, CACHE_STATUS_HEADER } from '../../cache/cache-directive.js';
import { cacheHitResponse } from '../../cache/cache-hit-response.js';
import { replayCacheHit } from '../../cache/replay-cached-answer.js';
import type { ResponseCache } from '../../cache/response-cache.js';
import type { CacheHit } from '../../cache/semantic-cache.js';
import type { ProcessingResponse } from '../../extproc/messages.js';
import { toProtoStruct } from '../../extproc/proto-struct.js';
import { requestIdHeaders } from '../../extproc/request-id.js';
import type { RequestContext } from '../../gateway/request-context.js';
import type { Exchange } from '../exchange.js';
import type { RequestStage } from '../request-stage.js';

/**
 * A cache hit is answered here, in the client's format (stream or JSON); on a miss whose
 * answer the cache will keep, a capture is set up for observers/cache-fill.ts.
 */
export const answerFromCache: RequestStage = {
  name: 'answer from cache',
  run(exchange) {
    const cache = exchange.dependencies.cache;
    const context = exchange.forwarding!;
    if (cache !== undefined && exchange.cacheHit !== undefined) return replay(exchange, cache, context, exchange.cacheHit);
    if (exchange.cachePlan?.writes) exchange.capture = createAnswerCapture(context.endpoint.clientFormat, context.endpoint.name);
    return undefined;
  },
};

/**
 * A cache hit: the stored answer in the client's format, stream or JSON (an embeddings answer:
 * the JSON it was, byte for byte). Nothing reaches a
 * provider, so the admission is released (nothing spent, no tokens counted; the request
 * still counted for the requests-per-minute limit when it was admitted).
 */
function replay(exchange: Exchange, cache: ResponseCache, context: RequestContext, hit: CacheHit): ProcessingResponse {
  const admission = exchange.lifecycle.admission;
  exchange.lifecycle.refused();
  const { clock, pricing } = exchange.dependencies;
  const answer = replayCacheHit(hit, {
    format: context.endpoint.clientFormat,
    stream: context.stream,
    includeUsage: context.includeUsage,
    id: `${context.endpoint.responseIdPrefix}${context.id.replace(/-/g, '')}`,
    created: Math.floor(clock() / 1000),
    model: context.route.alias,
  });
  const usage = hit.completion.usage;
  const target = context.route.targets.find((candidate) => candidate.provider.unavailableReason === undefined);
  const savedUsd = usage !== undefined && target !== undefined ? pricing.cost(target, usage) : undefined;
  const ageSeconds = cache.ageSeconds(hit);
  cache.recordHit({ model: context.route.alias, requestId: context.id, keyAlias: admission?.key.alias, usage, savedUsd, ageSeconds });
  const reply = cacheHitResponse(answer.body, {
    ...(admission?.headers ?? {}),
    ...requestIdHeaders(context.id),
    'content-type': answer.contentType,
    [CACHE_STATUS_HEADER]: hit.similarity === undefined ? 'hit' : 'semantic-hit',
    ...(hit.similarity === undefined ? {} : { [CACHE_SIMILARITY_HEADER]: hit.similarity.toFixed(3) }),
    age: String(ageSeconds),
  });
  reply.dynamic_metadata = toProtoStruct({
    [METADATA_NAMESPACE]: {
      path: exchange.clientPath,
      model: context.route.alias,
      key_alias: admission?.key.alias ?? null,
      prompt_tokens: usage?.promptTokens ?? null,
      completion_tokens: usage?.completionTokens ?? null,
      cost_usd: 0,
    },
  });
  return reply;
}
