import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The gateway's Prometheus metrics, on its own registry (no global state: tests build their
 * own). Names follow the OpenTelemetry GenAI semantic conventions in Prometheus form
 * (`gen_ai.client.token.usage` -> `gen_ai_client_token_usage`); label values come only
 * from configuration (model aliases, provider names) or a fixed set, never from raw input.
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'gen_ai_request_model' | 'gen_ai_response_model' | 'gen_ai_provider_name' | 'http_response_status_code' | 'gen_ai_streaming'>;
  readonly tokens: Histogram<'gen_ai_request_model' | 'gen_ai_provider_name' | 'gen_ai_token_type'>;
  readonly targetPauses: Counter<'gen_ai_request_model' | 'target'>;
  readonly duration: Histogram<'gen_ai_request_model' | 'gen_ai_provider_name' | 'http_response_status_code'>;
  readonly timeToFirstToken: Histogram<'gen_ai_request_model' | 'gen_ai_provider_name'>;
  readonly timePerOutputToken: Histogram<'gen_ai_request_model' | 'gen_ai_provider_name'>;
  readonly cost: Counter<'gen_ai_request_model' | 'gen_ai_provider_name'>;
  /** Requests metered on a model with no price: their cost is unknown, and in no USD metric. */
  readonly unpricedRequests: Counter<'gen_ai_request_model' | 'gen_ai_response_model' | 'gen_ai_provider_name'>;
  /** 1 for each configured model (provider and its model) that has no price, set at start. */
  readonly unpricedModels: Gauge<'gen_ai_request_model' | 'gen_ai_response_model' | 'gen_ai_provider_name'>;
  readonly activeRequests: Gauge<'gen_ai_request_model'>;
  readonly attempts: Counter<'gen_ai_request_model' | 'gen_ai_provider_name'>;
  readonly fallbacks: Counter<'gen_ai_request_model'>;
  readonly refusals: Counter<'reason'>;
  readonly spend: Counter<'key_alias' | 'gen_ai_request_model'>;
  readonly keyTokens: Counter<'key_alias' | 'gen_ai_request_model'>;
  readonly budgetRemaining: Gauge<'key_alias'>;
  /** USD held by reservations of requests in flight, per key with a budget. */
  readonly budgetHeld: Gauge<'key_alias'>;
  /** Requests in flight per key with a parallel limit, as the store counts them (reservations not yet settled). */
  readonly keyRequestsInFlight: Gauge<'key_alias'>;
  /** Requests whose state the sidecar keeps (shared by the router and attempt streams); read when scraped. */
  readonly requestStateEntries: Gauge;
  readonly activeStreams: Gauge<'phase'>;
  /** 1 while the gateway serves clients without a key (governance.mode open and no key can exist). */
  readonly openAccess: Gauge;
}

export interface MetricsOptions {
  collectProcessMetrics?: boolean;
  /** How many requests' state the sidecar holds, read when Prometheus scrapes. */
  requestStateEntries?: () => number;
}

export function createMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const requestStateEntries = options.requestStateEntries ?? (() => 0);
  const registry = new Registry();
  if (options.collectProcessMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'llm_gateway_requests_total',
      help: 'Chat completion requests that reached a provider, by model asked, model and provider that answered (as configured), and HTTP status.',
      labelNames: ['gen_ai_request_model', 'gen_ai_response_model', 'gen_ai_provider_name', 'http_response_status_code', 'gen_ai_streaming'],
      registers: [registry],
    }),
    tokens: new Histogram({
      name: 'gen_ai_client_token_usage',
      help: 'Tokens used per request (OpenTelemetry gen_ai.client.token.usage); _sum is the exact total. Types: input and output (OpenTelemetry), and their parts cached_input, cache_creation_input (within input) and reasoning (within output).',
      labelNames: ['gen_ai_request_model', 'gen_ai_provider_name', 'gen_ai_token_type'],
      buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'gen_ai_server_request_duration_seconds',
      help: 'Time from the request reaching the gateway to the last byte of the answer (OpenTelemetry gen_ai.server.request.duration).',
      labelNames: ['gen_ai_request_model', 'gen_ai_provider_name', 'http_response_status_code'],
      buckets: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
      registers: [registry],
    }),
    timeToFirstToken: new Histogram({
      name: 'gen_ai_server_time_to_first_token_seconds',
      help: 'Time from the request reaching the gateway to the first streamed content byte sent back (OpenTelemetry gen_ai.server.time_to_first_token).',
      labelNames: ['gen_ai_request_model', 'gen_ai_provider_name'],
      buckets: [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60],
      registers: [registry],
    }),
    attempts: new Counter({
      name: 'llm_gateway_upstream_attempts_total',
      help: 'Upstream attempts (first tries, retries and fallbacks), by model asked and provider tried. Envoy counts the retries themselves: cluster.<model cluster>.upstream_rq_retry.',
      labelNames: ['gen_ai_request_model', 'gen_ai_provider_name'],
      registers: [registry],
    }),
    targetPauses: new Counter({
      name: 'llm_gateway_target_pauses_total',
      help: 'Pauses a provider asked for (Retry-After, retry-after-ms, Gemini RetryInfo, Anthropic 529), by model asked and target (provider/model): no request goes to the target until the pause ends.',
      labelNames: ['gen_ai_request_model', 'target'],
      registers: [registry],
    }),
    fallbacks: new Counter({
      name: 'llm_gateway_fallbacks_total',
      help: 'Requests answered by a later level of the model fallback chain than the one first tried.',
      labelNames: ['gen_ai_request_model'],
      registers: [registry],
    }),
    timePerOutputToken: new Histogram({
      name: 'gen_ai_server_time_per_output_token_seconds',
      help: 'For streams: time from the first content byte to the end, per output token after the first (OpenTelemetry gen_ai.server.time_per_output_token).',
      labelNames: ['gen_ai_request_model', 'gen_ai_provider_name'],
      buckets: [0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5],
      registers: [registry],
    }),
    cost: new Counter({
      name: 'llm_gateway_cost_usd_total',
      help: 'Cost in USD from the price table, by model asked and provider that answered.',
      labelNames: ['gen_ai_request_model', 'gen_ai_provider_name'],
      registers: [registry],
    }),
    unpricedRequests: new Counter({
      name: 'llm_gateway_unpriced_requests_total',
      help: 'Requests metered on a model with no price: their cost is unknown and not in llm_gateway_cost_usd_total or llm_gateway_spend_usd_total. By model asked, model and provider that answered.',
      labelNames: ['gen_ai_request_model', 'gen_ai_response_model', 'gen_ai_provider_name'],
      registers: [registry],
    }),
    unpricedModels: new Gauge({
      name: 'llm_gateway_unpriced_models',
      help: 'Configured models with no price (1 each, set at start): requests they serve have an unknown cost. By model alias, configured model and provider.',
      labelNames: ['gen_ai_request_model', 'gen_ai_response_model', 'gen_ai_provider_name'],
      // Every sidecar worker sets it (sidecar.workers): the same fact, not a count to add up.
      aggregator: 'max',
      registers: [registry],
    }),
    activeRequests: new Gauge({
      name: 'llm_gateway_active_requests',
      help: 'Requests handed to a provider and not finished yet (streams in flight included), by model asked.',
      labelNames: ['gen_ai_request_model'],
      registers: [registry],
    }),
    refusals: new Counter({
      name: 'llm_gateway_refusals_total',
      help: 'Requests the gateway answered itself with an error, by reason (a fixed set of error codes).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    spend: new Counter({
      name: 'llm_gateway_spend_usd_total',
      help: 'Spend in USD from the price table, by virtual key alias ("none" without a key) and model asked.',
      labelNames: ['key_alias', 'gen_ai_request_model'],
      registers: [registry],
    }),
    keyTokens: new Counter({
      name: 'llm_gateway_key_tokens_total',
      help: 'Metered tokens (prompt + completion), by virtual key alias and model asked.',
      labelNames: ['key_alias', 'gen_ai_request_model'],
      registers: [registry],
    }),
    budgetRemaining: new Gauge({
      name: 'llm_gateway_budget_remaining_usd',
      help: "USD left in a key's current budget period (limit minus spent and held), as last seen by this replica.",
      labelNames: ['key_alias'],
      // Each worker sets the shared store's figure as it last saw it; within a period the lowest is the latest.
      aggregator: 'min',
      registers: [registry],
    }),
    activeStreams: new Gauge({
      name: 'llm_gateway_active_ext_proc_streams',
      help: 'ext_proc streams Envoy holds open to this sidecar, by processor.',
      labelNames: ['phase'],
      registers: [registry],
    }),
    budgetHeld: new Gauge({
      name: 'llm_gateway_budget_held_usd',
      help: 'USD held against a key\'s budget by reservations of requests in flight (released or settled when each ends).',
      labelNames: ['key_alias'],
      // Each worker sets the shared store's figure as it last saw it: never added up; the lowest, so that nothing held reads 0.
      aggregator: 'min',
      registers: [registry],
    }),
    keyRequestsInFlight: new Gauge({
      name: 'llm_gateway_key_requests_in_flight',
      help: 'Requests in flight for a key with a parallel limit, as the governance store counts them.',
      labelNames: ['key_alias'],
      // Each worker sets the shared store's count as it last saw it: never added up; the lowest, so that none in flight reads 0.
      aggregator: 'min',
      registers: [registry],
    }),
    requestStateEntries: new Gauge({
      name: 'llm_gateway_request_state_entries',
      help: 'Requests whose state the sidecar holds in memory; 0 when nothing is in flight.',
      registers: [registry],
      collect() {
        this.set(requestStateEntries());
      },
    }),
    openAccess: new Gauge({
      name: 'llm_gateway_open_access',
      help: '1 while the gateway serves clients that bring no key (governance.mode open, and no key can exist); 0 when every request needs a key.',
      // Every sidecar worker sets it (sidecar.workers): the same fact, not a count to add up.
      aggregator: 'max',
      registers: [registry],
    }),
  };
}
