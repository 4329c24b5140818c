import { availableModels, type RuntimeView } from '../config/runtime.js';

/**
 * The body of GET /v1/models (openai-openapi `ListModelsResponse`): the aliases this
 * gateway serves right now. Demo models say so in owned_by.
 */
export function listModels(view: RuntimeView, created: number, allowed: (alias: string) => boolean = () => true): Record<string, unknown> {
  return {
    object: 'list',
    data: availableModels(view)
      .filter((route) => allowed(route.alias))
      .map((route) => modelObject(route.alias, route.demo ? `${route.ownedBy} (demo)` : route.ownedBy, created)),
  };
}

export function modelObject(id: string, ownedBy: string, created: number): Record<string, unknown> {
  return { id, object: 'model', created, owned_by: ownedBy };
}
