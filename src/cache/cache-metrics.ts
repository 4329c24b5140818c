import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ResponseCacheStore } from './response-cache-store.js';

/** What the response cache reports to Prometheus. */
export interface CacheMetrics {
  /** Lookups per model alias and result: hit, semantic-hit, miss (looked up or refreshed, then asked the provider), bypass (the cache was not used). */
  readonly lookups: Counter<'gen_ai_request_model' | 'result'>;
  /** Seconds from the request's cache key to the store's answer. */
  readonly lookupDuration: Histogram<'gen_ai_request_model'>;
  /** Seconds of the semantic stage after an exact miss: the embedding call through the gateway and the index search. */
  readonly semanticLookupDuration: Histogram<'gen_ai_request_model'>;
  /** USD a hit did not spend: the stored answer's usage priced for the model's first available target. */
  readonly savedUsd: Counter<'gen_ai_request_model'>;
  /** Tokens a hit did not use, by gen_ai.token.type (input, output). */
  readonly savedTokens: Counter<'gen_ai_request_model' | 'gen_ai_token_type'>;
  /** Answers stored. */
  readonly stores: Counter<'gen_ai_request_model'>;
  /** Store failures (the request went on without the cache). */
  readonly storeErrors: Counter<'operation'>;
}

/** Registers the cache's metrics in the gateway's registry; the store's size is read when scraped. */
export function createCacheMetrics(registry: Registry, store: ResponseCacheStore): CacheMetrics {
  new Gauge({
    name: 'llm_gateway_cache_entries',
    help: 'Answers held by the response cache.',
    registers: [registry],
    collect() {
      this.set(store.size?.entries ?? 0);
    },
  });
  new Gauge({
    name: 'llm_gateway_cache_bytes',
    help: 'Estimated bytes held by the in-memory response cache (bounded by cache.max_bytes).',
    registers: [registry],
    collect() {
      this.set(store.size?.bytes ?? 0);
    },
  });
  return {
    lookups: new Counter({
      name: 'llm_gateway_cache_lookups_total',
      help: 'Response cache lookups on cache-enabled models, by model asked and result (hit, semantic-hit, miss, bypass).',
      labelNames: ['gen_ai_request_model', 'result'],
      registers: [registry],
    }),
    lookupDuration: new Histogram({
      name: 'llm_gateway_cache_lookup_duration_seconds',
      help: 'Time to compute the cache key and ask the store, per model asked.',
      labelNames: ['gen_ai_request_model'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
      registers: [registry],
    }),
    semanticLookupDuration: new Histogram({
      name: 'llm_gateway_cache_semantic_lookup_duration_seconds',
      help: 'Time of the semantic cache stage after an exact miss (embedding through the gateway, then the index search), per model asked.',
      labelNames: ['gen_ai_request_model'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    savedUsd: new Counter({
      name: 'llm_gateway_cache_saved_usd_total',
      help: 'Provider cost in USD that cache hits did not spend, per model asked.',
      labelNames: ['gen_ai_request_model'],
      registers: [registry],
    }),
    savedTokens: new Counter({
      name: 'llm_gateway_cache_saved_tokens_total',
      help: 'Tokens cache hits did not use, per model asked and token type (input, output).',
      labelNames: ['gen_ai_request_model', 'gen_ai_token_type'],
      registers: [registry],
    }),
    stores: new Counter({
      name: 'llm_gateway_cache_stores_total',
      help: 'Complete answers stored in the response cache, per model asked.',
      labelNames: ['gen_ai_request_model'],
      registers: [registry],
    }),
    storeErrors: new Counter({
      name: 'llm_gateway_cache_store_errors_total',
      help: 'Response cache store failures (get or set); the request went on without the cache.',
      labelNames: ['operation'],
      registers: [registry],
    }),
  };
}
