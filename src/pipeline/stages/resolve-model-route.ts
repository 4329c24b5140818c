import { resolveRoute } from '../../gateway/resolve-route.js';
import type { RequestStage } from '../request-stage.js';

/** The model's route (its targets, cluster and policies): a 404 for a model the gateway does not serve. */
export const resolveModelRoute: RequestStage = {
  name: 'resolve model route',
  run(exchange) {
    exchange.route = resolveRoute(exchange.view!, exchange.model!);
    return undefined;
  },
};
