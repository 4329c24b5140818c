import { routeRequest } from '../../routing/route-request.js';
import type { RouteDecision } from '../../routing/choose-by-route.js';
import { authenticatedCounter } from '../authenticated-counter.js';
import type { RequestStage } from '../request-stage.js';

/**
 * A route (src/routing/) chooses the model first, when the client asked for one; the chosen
 * model is then served as if the client had asked for it. A refusal while choosing names
 * the model the client asked for.
 */
export const chooseRoute: RequestStage = {
  name: 'choose route',
  run(exchange) {
    const { dependencies } = exchange;
    const decision = routeRequest({
      view: exchange.view!,
      endpoint: exchange.endpoint!,
      request: exchange.request,
      model: exchange.model!,
      headers: exchange.requestHeaders,
      promptUpperBound: exchange.bounds.promptTokens,
      choiceInput: exchange.choiceInputFor!(exchange.request),
      counter: authenticatedCounter(exchange),
      identify: () => dependencies.governance.identify(exchange.credential),
      pricing: dependencies.pricing,
      latency: dependencies.latency,
    });
    if (decision === undefined) return undefined;
    const routed = (chosen: RouteDecision) => {
      exchange.routeDecision = chosen;
      dependencies.routeMetrics?.record(chosen);
      exchange.model = chosen.model;
      return undefined;
    };
    return decision instanceof Promise ? decision.then(routed) : routed(decision);
  },
};
