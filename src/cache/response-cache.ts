import { durationMilliseconds } from '../config/duration.js';
import type { Configuration, ResponseCacheConfiguration } from '../config/schema.js';
import type { EndpointName } from '../endpoints/endpoint.js';
import type { VirtualKey } from '../governance/virtual-key.js';
import type { Usage } from '../model/usage.js';
import type { Logger } from '../observability/logger.js';
import { cacheKey } from './cache-key.js';
import { cacheDirectiveOf, isDeterministic, type CacheDirective } from './cache-directive.js';
import type { CacheMetrics } from './cache-metrics.js';
import type { CachedAnswer, CapturedAnswer } from './cached-answer.js';
import type { ResponseCacheStore } from './response-cache-store.js';
import type { CacheHit, SemanticCache, SemanticPlan } from './semantic-cache.js';

/** Endpoints whose answers the cache can read back and replay (a reader of the client's format, or the body kept verbatim). */
const CACHED_ENDPOINTS: ReadonlySet<EndpointName> = new Set(['chat.completions', 'messages', 'embeddings']);

export interface ResponseCacheDependencies {
  store: ResponseCacheStore;
  metrics: CacheMetrics;
  logger: Logger;
  /** Wall-clock milliseconds (Date.now), for stored times and the Age header. */
  clock: () => number;
  /** Monotonic milliseconds (performance.now), for lookup latency. */
  now: () => number;
  /** The semantic stage, for models and keys with `cache.semantic`; absent: none has it. */
  semantic?: SemanticCache | undefined;
}

/** One request's dealings with the cache, decided before it is forwarded. */
export interface CachePlan {
  readonly model: string;
  /** The entry's key; undefined when the request bypasses the cache. */
  readonly key: string | undefined;
  readonly ttlMs: number;
  readonly directive: CacheDirective;
  /** Look the answer up before forwarding. */
  readonly reads: boolean;
  /** Store the provider's answer when it is complete and successful. */
  readonly writes: boolean;
  /** x-gateway-cache on an answer that is not a hit. */
  readonly status: 'miss' | 'bypass';
  /** The semantic lookup behind the exact one; undefined when off or not allowed for this request. */
  readonly semantic?: SemanticPlan | undefined;
}

/** What a request asks of the cache: read from the request after it was admitted. */
export interface CacheRequest {
  configuration: Configuration;
  endpoint: EndpointName;
  /** The model alias asked for. */
  model: string;
  /** The endpoint's parsed request. */
  request: unknown;
  /** The admitted virtual key; undefined on an open gateway (every caller is then one tenant). */
  key: VirtualKey | undefined;
  /** The client's request headers (lower-case names). */
  headers: Readonly<Record<string, string>>;
  /** The client's credential: the semantic stage's embedding call is made (and charged) with it. */
  credential?: string | undefined;
}

/**
 * The exact-match response cache as a pipeline stage: `plan` decides, per request, whether
 * the cache applies and under which key; `lookup` may answer the request before it is
 * forwarded; `fill` keeps a complete, successful answer. A store that fails counts as a
 * miss that stores nothing, never as an error for the client.
 *
 * The semantic cache (SemanticCache) is a second stage behind the same plan: on an exact
 * miss, a nearest-neighbour lookup within the same scope, endpoint, model and parameters;
 * the fill stores the answer for both.
 */
export class ResponseCache {
  readonly #dependencies: ResponseCacheDependencies;

  constructor(dependencies: ResponseCacheDependencies) {
    this.#dependencies = dependencies;
  }

  /**
   * The request's plan, or undefined when the cache is off for it (the model and key have no
   * `cache` setting, the key sets `cache: false`, or the endpoint is not cached): then
   * nothing is looked up and the answer carries no x-gateway-cache.
   */
  plan(input: CacheRequest): CachePlan | undefined {
    if (!CACHED_ENDPOINTS.has(input.endpoint)) return undefined;
    const settings = cacheSettings(input.configuration, input.model, input.key);
    if (settings === undefined) return undefined;
    const ttlMs = durationMilliseconds(settings.ttl);
    const subject = cacheSubject(input.endpoint, input.request);
    let directive = cacheDirectiveOf(input.headers);
    // An embedding has no sampling: the same input gives the same vectors, so deterministic_only does not apply.
    if (settings.deterministic_only && input.endpoint !== 'embeddings' && !isDeterministic(subject.body)) directive = 'bypass';
    if (directive === 'bypass') {
      this.#dependencies.metrics.lookups.inc({ gen_ai_request_model: input.model, result: 'bypass' });
      return { model: input.model, key: undefined, ttlMs, directive, reads: false, writes: false, status: 'bypass' };
    }
    const scope = settings.scope === 'global' ? 'global' : input.key === undefined ? 'anonymous' : `key:${input.key.id}`;
    const key = cacheKey({ scope, endpoint: input.endpoint, model: input.model, request: subject.body, headers: subject.headers });
    const semantic =
      // Embeddings are only cached exactly: a near input has other vectors.
      settings.semantic === undefined || this.#dependencies.semantic === undefined || input.endpoint === 'embeddings'
        ? undefined
        : this.#dependencies.semantic.plan({
            settings: settings.semantic,
            scope,
            endpoint: input.endpoint,
            format: input.endpoint === 'messages' ? 'anthropic' : 'openai',
            model: input.model,
            body: subject.body,
            headers: subject.headers,
            credential: input.credential,
          });
    return { model: input.model, key, ttlMs, directive, reads: directive === 'use', writes: true, status: 'miss', semantic };
  }

  /**
   * The stored answer for a reading plan, or undefined (a miss, a refresh, or a store that
   * failed). Synchronous for the embedded store, a promise (that never rejects) for a shared
   * one or when the semantic stage runs (its embedding call). Counts the lookup and its latency.
   */
  lookup(plan: CachePlan): CacheHit | undefined | Promise<CacheHit | undefined> {
    const semantic = plan.semantic;
    const { semantic: stage, metrics } = this.#dependencies;
    if (semantic === undefined || stage === undefined) return this.#lookupExact(plan, true);
    const exact = this.#lookupExact(plan, false);
    const started = this.#dependencies.now();
    const next = (answer: CacheHit | undefined): CacheHit | undefined | Promise<CacheHit | undefined> => {
      // On an exact hit nothing is embedded; otherwise the embedding is also what a refreshed answer is stored under.
      if (answer !== undefined) return answer;
      return stage.lookup(semantic, plan.reads).then((hit) => {
        if (plan.reads) metrics.semanticLookupDuration.observe({ gen_ai_request_model: plan.model }, (this.#dependencies.now() - started) / 1000);
        metrics.lookups.inc({ gen_ai_request_model: plan.model, result: hit === undefined ? 'miss' : 'semantic-hit' });
        return hit;
      });
    };
    return exact instanceof Promise ? exact.then(next) : next(exact);
  }

  /** The exact-match lookup: counts a hit, and a miss when `countMiss` (else the semantic stage counts the lookup's result). */
  #lookupExact(plan: CachePlan, countMiss: boolean): CachedAnswer | undefined | Promise<CachedAnswer | undefined> {
    const { metrics, now } = this.#dependencies;
    if (!plan.reads || plan.key === undefined) {
      if (countMiss) metrics.lookups.inc({ gen_ai_request_model: plan.model, result: 'miss' });
      return undefined;
    }
    const started = now();
    const done = (answer: CachedAnswer | undefined): CachedAnswer | undefined => {
      metrics.lookupDuration.observe({ gen_ai_request_model: plan.model }, (now() - started) / 1000);
      if (answer !== undefined || countMiss) metrics.lookups.inc({ gen_ai_request_model: plan.model, result: answer === undefined ? 'miss' : 'hit' });
      return answer;
    };
    const failed = (error: unknown): CachedAnswer | undefined => {
      metrics.storeErrors.inc({ operation: 'get' });
      this.#dependencies.logger.warn({ error: messageOf(error) }, 'response cache store failed on get; the request goes on without the cache');
      return done(undefined);
    };
    try {
      const answer = this.#dependencies.store.get(plan.key);
      return answer instanceof Promise ? answer.then(done, failed) : done(answer);
    } catch (error) {
      return failed(error);
    }
  }

  /** Keeps a complete, successful answer for a writing plan; a store failure is logged and counted, never thrown. */
  fill(plan: CachePlan, captured: CapturedAnswer): void {
    if (!plan.writes || plan.key === undefined) return;
    const failed = (error: unknown): void => {
      this.#dependencies.metrics.storeErrors.inc({ operation: 'set' });
      this.#dependencies.logger.warn({ error: messageOf(error) }, 'response cache store failed on set; the answer was not stored');
    };
    const answer: CachedAnswer = { ...captured, storedAt: this.#dependencies.clock() };
    if (plan.semantic !== undefined) this.#dependencies.semantic?.fill(plan.semantic, answer, plan.ttlMs);
    try {
      const stored = this.#dependencies.store.set(plan.key, answer, plan.ttlMs);
      if (stored instanceof Promise) stored.then(() => this.#dependencies.metrics.stores.inc({ gen_ai_request_model: plan.model }), failed);
      else this.#dependencies.metrics.stores.inc({ gen_ai_request_model: plan.model });
    } catch (error) {
      failed(error);
    }
  }

  /** Whole seconds since the answer was stored (the Age header, RFC 9111 5.1). */
  ageSeconds(answer: CachedAnswer): number {
    return Math.max(0, Math.floor((this.#dependencies.clock() - answer.storedAt) / 1000));
  }

  /**
   * Meters a hit: what it saved (the stored usage, and its price when the model has one),
   * and one log line, as a forwarded request has its "request finished" line.
   */
  recordHit(hit: { model: string; requestId: string; keyAlias: string | undefined; usage: Usage | undefined; savedUsd: number | undefined; ageSeconds: number }): void {
    const { metrics, logger } = this.#dependencies;
    const { model, usage, savedUsd } = hit;
    if (usage !== undefined) {
      metrics.savedTokens.inc({ gen_ai_request_model: model, gen_ai_token_type: 'input' }, usage.promptTokens);
      metrics.savedTokens.inc({ gen_ai_request_model: model, gen_ai_token_type: 'output' }, usage.completionTokens);
    }
    if (savedUsd !== undefined) metrics.savedUsd.inc({ gen_ai_request_model: model }, savedUsd);
    logger.info(
      { event: 'cache_hit', request_id: hit.requestId, model, key_alias: hit.keyAlias ?? null, age_s: hit.ageSeconds, saved_prompt_tokens: usage?.promptTokens ?? null, saved_completion_tokens: usage?.completionTokens ?? null, saved_usd: savedUsd ?? null },
      'request answered from the response cache',
    );
  }
}

/**
 * The cache settings for a model and key: the key's own when it has them (`false` turns the
 * cache off for it), else the model's; undefined when neither opts in. Only keys declared in
 * the configuration carry settings; keys made through the admin API use the model's.
 */
export function cacheSettings(configuration: Configuration, model: string, key: VirtualKey | undefined): ResponseCacheConfiguration | undefined {
  const declared = key?.source === 'config' ? configuration.keys.find((entry) => `config:${entry.alias}` === key.id) : undefined;
  if (declared?.cache === false) return undefined;
  return declared?.cache ?? configuration.models[model]?.cache;
}

/**
 * The request body and answer-changing headers an endpoint's parsed request stands for:
 * a Messages call carries its body with anthropic-version and anthropic-beta (a beta can
 * change the answer); a chat completion is its body alone.
 */
function cacheSubject(endpoint: EndpointName, request: unknown): { body: unknown; headers: Record<string, string | undefined> | undefined } {
  if (endpoint !== 'messages') return { body: request, headers: undefined };
  const call = request as { request: unknown; anthropicVersion: string | undefined; anthropicBeta: string | undefined };
  return { body: call.request, headers: { 'anthropic-version': call.anthropicVersion, 'anthropic-beta': call.anthropicBeta } };
}

/** An error's message only: a store's error can carry its connection string. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
