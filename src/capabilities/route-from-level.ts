import type { ModelRoute, TargetRuntime } from '../config/runtime.js';

/**
 * The fallback chain of `route` starting at `level`: the same targets (same ids, so the
 * attempt processor and every per-target table still find them) with their levels
 * renumbered from 0, in an Envoy cluster of its own. The renderer writes one such cluster
 * per later level of every chain (routeLevels), and the router sends a request there when
 * the chain's first levels cannot serve it: Envoy never tries a level that would only fail.
 */
export function routeFromLevel(route: ModelRoute, level: number): ModelRoute {
  if (level === 0) return route;
  let byLevel = cache.get(route);
  if (byLevel === undefined) cache.set(route, (byLevel = new Map()));
  let tail = byLevel.get(level);
  if (tail === undefined) {
    const targets = route.targets
      .filter((target) => target.priority >= level)
      .map((target): TargetRuntime => Object.freeze({ ...target, priority: target.priority - level }));
    tail = Object.freeze({ ...route, cluster: `${route.cluster}__from_level_${level}`, targets: Object.freeze(targets) });
    byLevel.set(level, tail);
  }
  return tail;
}

/** Every route Envoy needs a cluster for: the chain itself, then the chain from each later level. */
export function routeLevels(route: ModelRoute): ModelRoute[] {
  const last = route.targets.at(-1)?.priority ?? 0;
  return Array.from({ length: last + 1 }, (_, level) => routeFromLevel(route, level));
}

/** Built once per (route, level): a reload builds new routes, and the old ones are collected. */
const cache = new WeakMap<ModelRoute, Map<number, ModelRoute>>();
