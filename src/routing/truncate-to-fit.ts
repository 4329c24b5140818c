import { chooseRoute, type RouteChoice } from '../capabilities/choose-route.js';
import type { TargetChoiceInput } from '../capabilities/choose-targets.js';
import type { ModelRoute, RuntimeView } from '../config/runtime.js';
import { droppableExchanges, dropOldestExchanges } from './truncate-turns.js';

/** A choice made on a request whose oldest turns may have been dropped to fit. */
export interface FittedChoice {
  readonly chosen: RouteChoice;
  /** The request to serve: the client's, or the client's with its oldest exchanges dropped. */
  readonly request: unknown;
  /** Turns (messages) dropped; 0 when the request was served whole. */
  readonly droppedTurns: number;
}

/**
 * context_policy `truncate`: when `first` (the choice on the whole request) found it too long
 * for every target, the fewest oldest exchanges are dropped (truncate-turns.ts) for some
 * target to serve it, found by binary search over how many (each probe counts the prompt
 * once). When even the last exchange alone does not fit, `first` stands (its refusal names
 * the numbers of the whole request). `choose` chooses on a given request (chooseRoute).
 */
export async function truncateToFit(first: RouteChoice, request: unknown, choose: (request: unknown) => RouteChoice | Promise<RouteChoice>): Promise<FittedChoice> {
  const unchanged = { chosen: first, request, droppedTurns: 0 };
  const most = droppableExchanges(request);
  if (most === 0) return unchanged;
  const probe = async (count: number) => {
    const dropped = dropOldestExchanges(request, count);
    return { ...dropped, chosen: await choose(dropped.request) };
  };
  let best = await probe(most);
  if (best.chosen.choice.refusal !== undefined) return unchanged;
  let low = 1;
  let high = most - 1;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    const attempt = await probe(middle);
    if (attempt.chosen.choice.refusal === undefined) {
      best = attempt;
      high = middle - 1;
    } else {
      low = middle + 1;
    }
  }
  return { chosen: best.chosen, request: best.request, droppedTurns: best.droppedTurns };
}

/**
 * Chooses a model's targets for a request (chooseRoute), and for a model whose
 * context_policy is `truncate`, drops the oldest turns of a request too long for every
 * target (truncateToFit). Synchronous unless the tokenizer or truncation runs.
 */
export function chooseFitting(
  view: RuntimeView,
  route: ModelRoute,
  request: unknown,
  inputFor: (request: unknown) => (route: ModelRoute) => TargetChoiceInput,
): FittedChoice | Promise<FittedChoice> {
  const first = chooseRoute(view, route, inputFor(request));
  const truncates = view.configuration.models[route.alias]?.context_policy === 'truncate';
  const after = (chosen: RouteChoice): FittedChoice | Promise<FittedChoice> =>
    truncates && chosen.choice.tooLongForAll ? truncateToFit(chosen, request, (shorter) => chooseRoute(view, route, inputFor(shorter))) : { chosen, request, droppedTurns: 0 };
  return first instanceof Promise ? first.then(after) : after(first);
}
