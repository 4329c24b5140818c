import type { ModelRoute, RuntimeView } from '../config/runtime.js';
import { GatewayError } from '../errors.js';

/** The client's model name -> the route that serves it, or a 404 that says why not. */
export function resolveRoute(view: RuntimeView, model: string): ModelRoute {
  const route = view.models.get(model);
  if (route === undefined) throw modelNotFound(model);
  const usable = route.targets.filter((target) => target.provider.unavailableReason === undefined);
  if (usable.length === 0) {
    const target = route.targets[0]!;
    throw new GatewayError({
      status: 404,
      code: 'model_not_available',
      param: 'model',
      message: `The model '${route.alias}' is configured, but its provider '${target.provider.name}' cannot be used: ${target.provider.unavailableReason}.`,
      retryable: false,
    });
  }
  return route;
}

/** The 404 for a model this gateway does not serve (or, to a key, one it may not use). */
export function modelNotFound(model: string): GatewayError {
  return new GatewayError({
    status: 404,
    code: 'model_not_found',
    param: 'model',
    message: `The model '${truncate(model)}' does not exist on this gateway. GET /v1/models lists the models it serves.`,
    retryable: false,
  });
}

function truncate(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}
