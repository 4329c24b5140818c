import type { RuntimeView, ModelRoute } from '../../config/runtime.js';
import type { AnyEndpoint } from '../../endpoints/endpoint.js';
import { choiceInput } from '../../capabilities/choice-input.js';
import { withDroppedParams } from '../../routing/drop-unsupported-params.js';
import { authenticatedCounter } from '../authenticated-counter.js';
import type { Exchange } from '../exchange.js';
import type { RequestStage } from '../request-stage.js';

const EMPTY = Buffer.alloc(0);

/**
 * The endpoint's parser reads the body (400s in the client's format): the request, its
 * model and its admission bounds. The body is let go once read.
 */
export const readRequest: RequestStage = {
  name: 'read request',
  run(exchange) {
    const endpoint = exchange.endpoint!;
    const body = exchange.requestBody;
    exchange.requestBody = EMPTY;
    const request: unknown = endpoint.parse(body, exchange.requestHeaders);
    exchange.request = request;
    exchange.model = endpoint.model(request);
    exchange.bounds = endpoint.admissionBounds(request, body.length);
    const view = exchange.view!;
    exchange.choiceInputFor = (current: unknown) => choiceInputFor(exchange, view, endpoint, current);
    return undefined;
  },
};

/** chooseTargets' input for a candidate model of this request, dropping parameters where the model or provider says so. */
function choiceInputFor(exchange: Exchange, view: RuntimeView, endpoint: AnyEndpoint, request: unknown) {
  const { registry, capabilities, pauses } = exchange.dependencies;
  const counting = { registry, capabilities, tokenCounter: authenticatedCounter(exchange), pauses };
  const bounds = exchange.bounds;
  // Remembered per (request, target): a route's cheapest choice translates its candidates, and the chosen one is not translated again.
  return (candidate: ModelRoute) =>
    exchange.translations.remembering(
      withDroppedParams(
        choiceInput(counting, endpoint, request, candidate, bounds.promptTokens, exchange.clientFormat),
        view,
        (current, target) => endpoint.buildUpstream(registry, current, target),
        request,
        exchange.droppedParams,
        endpoint.checkUpstream === undefined ? undefined : (current, target) => endpoint.checkUpstream!(registry, current, target),
      ),
      request,
    );
}
