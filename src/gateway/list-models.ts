import { availableModels, type RuntimeView } from '../config/runtime.js';
import { GatewayError } from '../errors.js';
import { modelNotFound, resolveRoute } from './resolve-route.js';

/** What `owned_by` says of a route: the gateway chooses its model per request. */
export const ROUTE_OWNER = 'llm-gateway (route)';

/**
 * The body of GET /v1/models (openai-openapi `ListModelsResponse`): the aliases this
 * gateway serves right now, then its routes (owned_by ROUTE_OWNER) that can serve: a route
 * is listed when one of the models it names is available. Demo models say so in owned_by.
 * `allowed` says which names the caller's key may use.
 */
export function listModels(view: RuntimeView, created: number, allowed: (alias: string) => boolean = () => true): Record<string, unknown> {
  const models = availableModels(view);
  const available = new Set(models.map((route) => route.alias));
  const routes = Object.entries(view.configuration.routes)
    .filter(([name, route]) => allowed(name) && routeAliases(route).some((alias) => available.has(alias)))
    .map(([name]) => modelObject(name, ROUTE_OWNER, created));
  return {
    object: 'list',
    data: [...models.filter((route) => allowed(route.alias)).map((route) => modelObject(route.alias, route.demo ? `${route.ownedBy} (demo)` : route.ownedBy, created)), ...routes],
  };
}

/**
 * The body of GET /v1/models/{model} (openai-openapi `Model`) for a model or a route the
 * caller may use. Throws modelNotFound (404) for any other name: one the key may not use is
 * as absent for it as one that does not exist.
 */
export function retrieveModel(view: RuntimeView, id: string, created: number, allowed: (alias: string) => boolean): Record<string, unknown> {
  if (!allowed(id)) throw modelNotFound(id);
  if (Object.hasOwn(view.configuration.routes, id)) {
    const models = new Set(availableModels(view).map((route) => route.alias));
    if (routeAliases(view.configuration.routes[id]!).some((alias) => models.has(alias))) return modelObject(id, ROUTE_OWNER, created);
    throw new GatewayError({ status: 404, code: 'model_not_available', param: 'model', message: `The route '${id}' is configured, but none of its models can be used.`, retryable: false });
  }
  const route = resolveRoute(view, id);
  return modelObject(route.alias, route.demo ? `${route.ownedBy} (demo)` : route.ownedBy, created);
}

export function modelObject(id: string, ownedBy: string, created: number): Record<string, unknown> {
  return { id, object: 'model', created, owned_by: ownedBy };
}

function routeAliases(route: RuntimeView['configuration']['routes'][string]): string[] {
  return [route.default, ...route.rules.flatMap((rule) => (rule.model !== undefined ? [rule.model] : (rule.cheapest ?? rule.fastest ?? [])))];
}
