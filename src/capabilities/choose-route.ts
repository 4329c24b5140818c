import type { ModelRoute, RuntimeView } from '../config/runtime.js';
import { resolveRoute } from '../gateway/resolve-route.js';
import { chooseTargets, type TargetChoice, type TargetChoiceInput } from './choose-targets.js';
import { routeForLevels } from './route-for-levels.js';

/** The route a request goes to, and what choosing its targets found. */
export interface RouteChoice {
  /** The route to hand to Envoy: the levels of the chain that can serve the request (routeForLevels). */
  readonly route: ModelRoute;
  readonly choice: TargetChoice;
  /** The alias the client asked for, when its context policy sent the request to a larger model. */
  readonly upgradedFrom: string | undefined;
}

/**
 * Chooses where a request goes (chooseTargets), applying the model's context policy: a
 * request too long for every target of a model whose policy is `{ upgrade: <alias> }` is
 * chosen for that model instead (one step: the upgrade's own policy is not followed, so
 * policies can never loop). When some targets can serve it, the route is narrowed to the
 * levels that can (routeForLevels). When none can, `choice.refusal` says
 * why, for the model the client asked for.
 */
export function chooseRoute(view: RuntimeView, route: ModelRoute, input: (route: ModelRoute) => TargetChoiceInput): RouteChoice | Promise<RouteChoice> {
  return then(chooseTargets(input(route)), (choice) => {
    const policy = view.configuration.models[route.alias]?.context_policy;
    if (!choice.tooLongForAll || typeof policy !== 'object') return narrowed(route, choice, undefined);
    const larger = resolveRoute(view, policy.upgrade);
    return then(chooseTargets(input(larger)), (upgraded) => (upgraded.refusal === undefined ? narrowed(larger, upgraded, route.alias) : narrowed(route, choice, undefined)));
  });
}

function narrowed(route: ModelRoute, choice: TargetChoice, upgradedFrom: string | undefined): RouteChoice {
  const levels = [...new Set(choice.usable.map((target) => target.priority))];
  return { route: routeForLevels(route, levels), choice, upgradedFrom };
}

/** Continues synchronously when the value is already there: most requests never wait on the tokenizer. */
function then<T, U>(value: T | Promise<T>, next: (value: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
