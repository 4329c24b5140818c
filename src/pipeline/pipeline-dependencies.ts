import type { RuntimeView } from '../config/runtime.js';
import type { EndpointRegistry } from '../endpoints/endpoint-registry.js';
import type { RoutedEndpoint } from '../endpoints/create-endpoint-registry.js';
import type { Meter } from '../gateway/meter.js';
import type { RequestContext } from '../gateway/request-context.js';
import type { RequestStore } from '../gateway/request-store.js';
import type { TokenCounter } from '../gateway/token-counter.js';
import type { Governance } from '../governance/governance.js';
import type { Pricing } from '../governance/pricing.js';
import type { Logger } from '../observability/logger.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { TargetPauses } from '../resilience/target-pauses.js';
import type { Capabilities } from '../capabilities/create-capabilities.js';
import type { LatencyScores } from '../routing/route-request.js';
import type { RouteMetrics } from '../routing/route-metrics.js';
import type { ResponseCache } from '../cache/response-cache.js';
import type { GuardrailRuntime } from '../guardrails/guardrail-runtime.js';
import type { ObservedExchanges } from './observed-exchanges.js';

/**
 * What the request stages and response observers use, passed in from the composition root
 * (src/main.ts) and shared by every request of the process. Stages and observers hold none
 * of it themselves: each reads it from the request's Exchange, so a test builds exactly the
 * dependencies it needs.
 */
export interface PipelineDependencies {
  /** The current runtime view; read once per request so a reload never changes a request midway. */
  view: () => RuntimeView;
  store: RequestStore<RequestContext>;
  registry: ProviderRegistry;
  /** (method, path) -> endpoint; decides 404 and 405. */
  endpoints: EndpointRegistry<RoutedEndpoint>;
  meter: Meter;
  logger: Logger;
  /** Monotonic milliseconds (performance.now). */
  now: () => number;
  /** Wall-clock milliseconds (Date.now), for `created` fields. */
  clock: () => number;
  newId: () => string;
  /** Starting the tokenizer is the composition root's. */
  tokenCounter: Omit<TokenCounter, 'start'>;
  governance: Governance;
  pricing: Pricing;
  /** Targets whose provider asked for quiet (Retry-After): a model whose targets are all paused is answered 429. */
  pauses: TargetPauses;
  /** Each target's context window and abilities (config/capabilities.yaml and overrides). */
  capabilities: Capabilities;
  /** Counts routes' choices; absent: not counted (tests that build a processor without metrics). */
  routeMetrics?: RouteMetrics | undefined;
  /** Live latency measurements for routes' `fastest` rules; absent: none (such a rule takes its first candidate that can serve). */
  latency?: LatencyScores | undefined;
  /** The response cache; absent: no model is cached. */
  cache?: ResponseCache | undefined;
  /** Guardrails on requests and answers; absent: none run. */
  guardrails?: GuardrailRuntime | undefined;
  /** Requests whose answer the observer filter may read (sidecar.pass_through_observability_mode); absent: the setting is off. */
  observed?: ObservedExchanges | undefined;
}
