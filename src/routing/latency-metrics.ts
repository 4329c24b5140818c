import { Gauge, type Registry } from 'prom-client';
import type { LatencyTracker } from './latency-tracker.js';

/**
 * The tracker's moving averages as gauges, read at scrape time (nothing on the request path):
 * llm_gateway_target_latency_ewma_seconds{target, gen_ai_provider_name, gen_ai_response_model, measure}
 * (measure: first_token for streams, total for whole answers) and
 * llm_gateway_target_error_rate_ewma{target, gen_ai_provider_name, gen_ai_response_model}.
 * Label values are bounded: targets come from the configuration.
 */
export function registerLatencyMetrics(registry: Registry, tracker: LatencyTracker): void {
  const labelNames = ['target', 'gen_ai_provider_name', 'gen_ai_response_model'] as const;
  new Gauge({
    name: 'llm_gateway_target_latency_ewma_seconds',
    help: 'Moving average of each target latency as routes with fastest rules see it: time to first token of streams (measure="first_token"), or to the whole answer (measure="total").',
    labelNames: [...labelNames, 'measure'],
    registers: [registry],
    collect() {
      this.reset();
      for (const entry of tracker.entries()) {
        const labels = { target: entry.target.id, gen_ai_provider_name: entry.target.provider.name, gen_ai_response_model: entry.target.model };
        if (!Number.isNaN(entry.firstTokenMs)) this.set({ ...labels, measure: 'first_token' }, entry.firstTokenMs / 1000);
        if (!Number.isNaN(entry.totalMs)) this.set({ ...labels, measure: 'total' }, entry.totalMs / 1000);
      }
    },
  });
  new Gauge({
    name: 'llm_gateway_target_error_rate_ewma',
    help: 'Moving average of each target failed attempts (1) and successes (0), as routes with fastest rules weigh it.',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const entry of tracker.entries()) {
        this.set({ target: entry.target.id, gen_ai_provider_name: entry.target.provider.name, gen_ai_response_model: entry.target.model }, entry.errorRate);
      }
    },
  });
}
