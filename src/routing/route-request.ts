import { chooseRoute } from '../capabilities/choose-route.js';
import type { TargetChoice, TargetChoiceInput } from '../capabilities/choose-targets.js';
import type { ModelRoute, RuntimeView, TargetRuntime } from '../config/runtime.js';
import type { AnyEndpoint, TokenCounting } from '../endpoints/endpoint.js';
import { resolveRoute } from '../gateway/resolve-route.js';
import type { VirtualKey } from '../governance/virtual-key.js';
import type { Pricing } from '../governance/pricing.js';
import { chooseByRoute, type CostChoice, type RouteDecision } from './choose-by-route.js';
import type { RequestFacts } from './match-rule.js';
import { requestText, type RequestText } from './request-text.js';

/** What routing one request needs from the router processor. */
export interface RouteRequestInput {
  view: RuntimeView;
  endpoint: AnyEndpoint;
  request: unknown;
  /** The model name the client sent. */
  model: string;
  headers: Readonly<Record<string, string>>;
  promptUpperBound: number;
  /** chooseTargets' input for a candidate model (choiceInput, as the router builds it). */
  choiceInput: (route: ModelRoute) => TargetChoiceInput;
  /** The tokenizer, counting only for an authenticated caller (countAfterAuthentication). */
  counter: TokenCounting;
  /** The caller's key (Governance.identify); asked only when a rule of the route names key conditions. */
  identify: () => Promise<VirtualKey | undefined> | undefined;
  pricing: Pricing;
  /** Live measurements for `fastest` rules (LatencyTracker); absent: none, a `fastest` rule takes its first candidate that can serve. */
  latency?: LatencyScores | undefined;
}

/** What `fastest` rules read: LatencyTracker's score and its source of randomness. */
export interface LatencyScores {
  score(target: TargetRuntime, stream: boolean, errorPenaltyMs: number): number | undefined;
  random(): number;
}

/**
 * The model a route chooses for this request (chooseByRoute), or undefined when the client
 * asked for a model rather than a route. Facts are computed only as rules ask for them: the
 * texts once, the prompt counted once, the key identified once and only for a route that
 * has key conditions (a refused key rejects the promise with its 401).
 */
export function routeRequest(input: RouteRequestInput): RouteDecision | undefined | Promise<RouteDecision> {
  const { view, endpoint, request } = input;
  const route = view.configuration.routes[input.model];
  if (route === undefined || !Object.hasOwn(view.configuration.routes, input.model)) return undefined;
  let text: RequestText | undefined;
  let counted: Promise<number> | undefined;
  const facts: RequestFacts = {
    text: () => (text ??= requestText(request)),
    needs: endpoint.needs?.(request),
    stream: endpoint.isStream(request),
    headers: input.headers,
    key: undefined,
    promptUpperBound: input.promptUpperBound,
    countPrompt: () => (counted ??= input.counter.count(endpoint.promptText(request))),
  };
  const expectedOutput = facts.needs?.maxOutputTokens ?? route.expected_output_tokens;
  const { latency } = input;
  const penaltyMs = route.latency.error_penalty_ms;
  const costs: CostChoice = {
    serves: (alias: string) => servingTargets(view, alias, input.choiceInput),
    cost: (target: Parameters<Pricing['maxCost']>[0]) => input.pricing.maxCost(target, input.promptUpperBound, expectedOutput),
    latency: latency === undefined ? undefined : (target) => latency.score(target, facts.stream, penaltyMs),
    random: latency === undefined ? undefined : () => latency.random(),
  };
  const needsKey = route.rules.some((rule) => rule.when.key !== undefined);
  const identified = needsKey ? input.identify() : undefined;
  if (identified === undefined) return chooseByRoute(view.configuration, input.model, facts, costs)!;
  return identified.then((key) => chooseByRoute(view.configuration, input.model, { ...facts, key: key === undefined ? undefined : { alias: key.alias, metadata: key.metadata } }, costs)!);
}

/** A candidate's targets that can serve the request; a model whose providers cannot be used serves nothing. */
function servingTargets(view: RuntimeView, alias: string, choiceInput: (route: ModelRoute) => TargetChoiceInput): TargetChoice | Promise<TargetChoice> {
  let route: ModelRoute;
  try {
    route = resolveRoute(view, alias);
  } catch {
    return { usable: [], prepared: new Map(), skipped: new Map(), refusal: undefined, tooLongForAll: false };
  }
  const chosen = chooseRoute(view, route, choiceInput);
  return chosen instanceof Promise ? chosen.then((resolved) => resolved.choice) : chosen.choice;
}
