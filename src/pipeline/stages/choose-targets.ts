import { hasAttemptProcessor } from '../../config/runtime.js';
import { GatewayError } from '../../errors.js';
import { continueRequestBody } from '../../extproc/responses.js';
import { chooseFitting, type FittedChoice } from '../../routing/truncate-to-fit.js';
import { refuse } from '../refuse.js';
import type { Exchange } from '../exchange.js';
import type { RequestStage, StageResult } from '../request-stage.js';

/**
 * Every target of the model's route is checked (capabilities, context window, parameters),
 * and the request translated now for a route of one target (a chain's attempts translate
 * their own, in the attempt processor): what none can serve is refused with a 400 before anything is sent,
 * and Envoy is handed only the levels of the chain that can serve it. context_policy
 * `upgrade` may move the request to a larger model, `truncate` may serve it with its oldest
 * turns dropped.
 */
export const chooseTargets: RequestStage = {
  name: 'choose targets',
  run(exchange) {
    // Guardrails may have masked or redacted the request in place: what was translated from it before is stale.
    if (exchange.guard !== undefined) exchange.translations.forget();
    const fitted = chooseFitting(exchange.view!, exchange.route!, exchange.request, exchange.choiceInputFor!);
    const chosen = (fit: FittedChoice): StageResult => {
      // The stream ended while the prompt was counted: nothing is admitted (a reservation would be left held), nothing goes on.
      if (exchange.closed) return continueRequestBody();
      const { route, choice } = fit.chosen;
      if (choice.refusal !== undefined) return refuse(exchange, choice.refusal, exchange.model);
      if (fit.chosen.upgradedFrom !== undefined) {
        exchange.dependencies.logger.info({ request_id: exchange.requestId, model: fit.chosen.upgradedFrom, upgraded_to: route.alias }, 'request too long for its model: upgraded by its context policy');
      }
      const written = writeLoneTarget(exchange, fit);
      if (written !== undefined) return refuse(exchange, written, exchange.model);
      exchange.chosen = fit.chosen;
      exchange.request = fit.request;
      exchange.droppedTurns = fit.droppedTurns;
      return undefined;
    };
    return fitted instanceof Promise ? fitted.then(chosen) : chosen(fitted);
  },
};

/**
 * A chain narrowed to one target (routeForLevels) is forwarded without the attempt
 * processor, so its request, only checked so far, is written now (once: the memo keeps it).
 * Returns the refusal should writing refuse what the check let through.
 */
function writeLoneTarget(exchange: Exchange, fit: FittedChoice): GatewayError | undefined {
  const { route, choice } = fit.chosen;
  const target = route.targets[0];
  if (hasAttemptProcessor(route) || target === undefined || choice.prepared.has(target.id)) return undefined;
  try {
    choice.prepared.set(target.id, exchange.choiceInputFor!(fit.request)(route).prepare(target));
    return undefined;
  } catch (thrown) {
    if (thrown instanceof GatewayError) return thrown;
    throw thrown;
  }
}
