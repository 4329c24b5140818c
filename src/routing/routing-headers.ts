import type { TargetRuntime } from '../config/runtime.js';
import type { RouteDecision } from './choose-by-route.js';

export const ROUTE_HEADER_NAME = 'x-gateway-route';
export const ROUTE_RULE_HEADER = 'x-gateway-route-rule';
export const ROUTE_MODEL_HEADER = 'x-gateway-model';
export const ROUTE_REASON_HEADER = 'x-gateway-route-reason';
export const DROPPED_PARAMS_HEADER = 'x-gateway-dropped-params';
export const TRUNCATED_TURNS_HEADER = 'x-gateway-truncated-turns';

/**
 * The response headers that explain a request's routing: the route, the rule that chose
 * ("default" when none matched), the model alias chosen and why (routeReason), when the
 * client asked for a route; and the parameters left out of the request of the target that answered
 * (comma-separated, in the order they were dropped), when it dropped any; and how many turns
 * of the conversation were dropped to fit the context window (context_policy truncate).
 */
export function routingHeaders(
  decision: RouteDecision | undefined,
  dropped: ReadonlyMap<string, readonly string[]> | undefined,
  answered: TargetRuntime | undefined,
  droppedTurns = 0,
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (decision !== undefined) {
    headers[ROUTE_HEADER_NAME] = decision.route;
    headers[ROUTE_RULE_HEADER] = decision.rule;
    headers[ROUTE_MODEL_HEADER] = decision.model;
    headers[ROUTE_REASON_HEADER] = routeReason(decision);
  }
  const names = answered === undefined ? undefined : dropped?.get(answered.id);
  if (names !== undefined && names.length > 0) headers[DROPPED_PARAMS_HEADER] = names.join(', ');
  if (droppedTurns > 0) headers[TRUNCATED_TURNS_HEADER] = String(droppedTurns);
  return headers;
}

/**
 * Why a route chose its model, for the x-gateway-route-reason header: the reason, with the
 * figure it was chosen on: `rule`, `default`, `cheapest; cost_usd=0.00042` (the estimated
 * bound; no figure when unpriced), `fastest; latency_ms=212.5`, `explore; latency_ms=950`,
 * `unmeasured`.
 */
export function routeReason(decision: RouteDecision): string {
  if (decision.latencyMs !== undefined) return `${decision.reason}; latency_ms=${Math.round(decision.latencyMs * 10) / 10}`;
  if (decision.estimatedCostUsd !== undefined) return `${decision.reason}; cost_usd=${Number(decision.estimatedCostUsd.toPrecision(3))}`;
  return decision.reason;
}
