import { Counter, type Registry } from 'prom-client';
import type { RouteDecision } from './choose-by-route.js';

/** Counts routes' choices: llm_gateway_route_choices_total{route, rule, gen_ai_request_model}. */
export interface RouteMetrics {
  record(decision: RouteDecision): void;
}

/** Label values are bounded: route, rule and model names all come from the configuration. */
export function createRouteMetrics(registry: Registry): RouteMetrics {
  const choices = new Counter({
    name: 'llm_gateway_route_choices_total',
    help: 'Models chosen by routes, by route, the rule that chose ("default" when none matched) and the model alias chosen.',
    labelNames: ['route', 'rule', 'gen_ai_request_model'],
    registers: [registry],
  });
  return {
    record: (decision) => choices.inc({ route: decision.route, rule: decision.rule, gen_ai_request_model: decision.model }),
  };
}
