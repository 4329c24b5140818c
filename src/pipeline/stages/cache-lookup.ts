import type { CacheHit } from '../../cache/semantic-cache.js';
import type { RequestStage } from '../request-stage.js';

/**
 * The response cache's lookup, after admission (the key decides the tenant scope): what the
 * cache does for this request, and a stored answer if there is one (answered by
 * stages/answer-from-cache.ts once the admission is confirmed).
 */
export const cacheLookup: RequestStage = {
  name: 'cache lookup',
  run(exchange) {
    // A masked request's answer holds this caller's values once restored: never stored nor served from the cache.
    const cache = exchange.guard?.masked ? undefined : exchange.dependencies.cache;
    if (cache === undefined) return undefined;
    const context = exchange.forwarding!;
    const plan = cache.plan({
      configuration: exchange.view!.configuration,
      endpoint: context.endpoint.name,
      model: context.route.alias,
      request: context.request,
      key: exchange.admitted?.key,
      headers: exchange.requestHeaders,
      credential: exchange.credential,
    });
    if (plan === undefined) return undefined;
    exchange.cachePlan = plan;
    const hit = cache.lookup(plan);
    if (!(hit instanceof Promise)) {
      exchange.cacheHit = hit;
      return undefined;
    }
    return hit.then((found: CacheHit | undefined) => {
      exchange.cacheHit = found;
      return undefined;
    });
  },
};
