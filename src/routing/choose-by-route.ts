import type { Configuration } from '../config/schema.js';
import { chooseCheapest, type CheapestInput } from './choose-cheapest.js';
import { chooseFastest, type FastestInput, type FastestReason } from './choose-fastest.js';
import { matchRule, type RequestFacts } from './match-rule.js';
import type { RouteConfiguration, RouteRule } from './route-schema.js';

/**
 * Why the model was chosen: `rule` (a rule's `model`), `default` (no rule matched),
 * `cheapest`, or a `fastest` rule's reason (choose-fastest.ts).
 */
export type RouteReason = 'rule' | 'default' | 'cheapest' | FastestReason;

/** Which model a route chose for a request, by which rule ("default" when none matched), and why. */
export interface RouteDecision {
  readonly route: string;
  readonly rule: string;
  readonly model: string;
  readonly reason: RouteReason;
  /** For a `cheapest` rule: the chosen model's estimated cost bound in USD (undefined: unpriced, or not a cost choice). */
  readonly estimatedCostUsd?: number | undefined;
  /** For a `fastest` rule: the chosen model's score in ms (undefined: unmeasured, or not a latency choice). */
  readonly latencyMs?: number | undefined;
}

/**
 * What a cost or latency choice needs beyond the rule: see CheapestInput and FastestInput.
 * Without `latency`, a `fastest` rule knows no measurements and takes its first candidate that can serve.
 */
export type CostChoice = Pick<CheapestInput, 'serves' | 'cost'> & Partial<Pick<FastestInput, 'latency' | 'random'>>;

/**
 * The model a route sends this request to: the first rule (in order) whose conditions all
 * hold (matchRule) chooses, either its `model`, or the cheapest of its `cheapest` candidates
 * that can serve the request (chooseCheapest), or the fastest of its `fastest` ones
 * (chooseFastest). When no candidate of a `cheapest` or `fastest` rule can serve it, the
 * rule does not match and the next one is tried; when no rule matches, the
 * route's `default`. Returns undefined when `name` is not a route (it is a model, or
 * unknown). Synchronous unless a token range or a context window check needs the tokenizer.
 */
export function chooseByRoute(configuration: Configuration, name: string, facts: RequestFacts, costs: CostChoice): RouteDecision | undefined | Promise<RouteDecision> {
  if (!Object.hasOwn(configuration.routes, name)) return undefined;
  const route = configuration.routes[name]!;
  return tryRules(configuration, name, route, 0, facts, costs);
}

function tryRules(configuration: Configuration, name: string, route: RouteConfiguration, from: number, facts: RequestFacts, costs: CostChoice): RouteDecision | Promise<RouteDecision> {
  for (let index = from; index < route.rules.length; index += 1) {
    const rule = route.rules[index]!;
    const matched = matchRule(rule.when, facts);
    if (matched instanceof Promise) {
      return matched.then((holds) => (holds ? decide(configuration, name, route, index, facts, costs) : tryRules(configuration, name, route, index + 1, facts, costs)));
    }
    if (matched) return decide(configuration, name, route, index, facts, costs);
  }
  return { route: name, rule: 'default', model: route.default, reason: 'default' };
}

/** The matched rule's model; a `cheapest` or `fastest` rule that finds no candidate able to serve falls through to the next rule. */
function decide(configuration: Configuration, name: string, route: RouteConfiguration, index: number, facts: RequestFacts, costs: CostChoice): RouteDecision | Promise<RouteDecision> {
  const rule: RouteRule = route.rules[index]!;
  if (rule.model !== undefined) return { route: name, rule: rule.name, model: rule.model, reason: 'rule' };
  const tierOf = (alias: string) => configuration.models[alias]?.tier;
  if (rule.fastest !== undefined) {
    const chosen = chooseFastest({
      candidates: rule.fastest,
      minTier: rule.min_tier,
      tierOf,
      serves: costs.serves,
      latency: costs.latency ?? unmeasured,
      random: costs.random ?? first,
      settings: route.latency,
    });
    const next = (choice: Awaited<typeof chosen>) =>
      choice.alias === undefined ? tryRules(configuration, name, route, index + 1, facts, costs) : { route: name, rule: rule.name, model: choice.alias, reason: choice.reason, latencyMs: choice.latencyMs };
    return chosen instanceof Promise ? chosen.then(next) : next(chosen);
  }
  const chosen = chooseCheapest({ candidates: rule.cheapest!, minTier: rule.min_tier, tierOf, serves: costs.serves, cost: costs.cost });
  const next = (choice: Awaited<typeof chosen>) =>
    choice.alias === undefined ? tryRules(configuration, name, route, index + 1, facts, costs) : { route: name, rule: rule.name, model: choice.alias, reason: 'cheapest' as const, estimatedCostUsd: choice.costUsd };
  return chosen instanceof Promise ? chosen.then(next) : next(chosen);
}

const unmeasured = () => undefined;
const first = () => 0;
