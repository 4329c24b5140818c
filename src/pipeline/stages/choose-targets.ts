import { continueRequestBody } from '../../extproc/responses.js';
import { chooseFitting, type FittedChoice } from '../../routing/truncate-to-fit.js';
import { refuse } from '../refuse.js';
import type { RequestStage, StageResult } from '../request-stage.js';

/**
 * Every target of the model's route is checked (capabilities, context window, parameters)
 * and translated now: what none can serve is refused with a 400 before anything is sent,
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
      exchange.chosen = fit.chosen;
      exchange.request = fit.request;
      exchange.droppedTurns = fit.droppedTurns;
      return undefined;
    };
    return fitted instanceof Promise ? fitted.then(chosen) : chosen(fitted);
  },
};
