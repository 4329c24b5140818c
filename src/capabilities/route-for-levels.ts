import type { ModelRoute, TargetRuntime } from '../config/runtime.js';

/**
 * Chains up to this many levels get a cluster for every combination of their levels; longer
 * ones (2^n clusters would be too many) only for the chain from each later level on.
 */
export const MAX_LEVELS_COMBINED = 4;

/**
 * The part of `route`'s fallback chain that can serve a request, as Envoy should see it: the
 * levels in `usable` (sorted, distinct), renumbered from 0, with the same targets (same ids,
 * so the attempt processor and every per-target table still find them), in an Envoy cluster
 * of its own that the renderer writes (routeVariants). Envoy then never tries a level that
 * would only fail. A chain longer than MAX_LEVELS_COMBINED keeps every level from the first
 * usable one on: a later level that cannot serve the request is then tried, and fails that
 * attempt (the attempt processor refuses to write it).
 */
export function routeForLevels(route: ModelRoute, usable: readonly number[]): ModelRoute {
  const levels = levelsOf(route);
  const kept = levels.length <= MAX_LEVELS_COMBINED ? usable : levels.filter((level) => level >= (usable[0] ?? 0));
  if (kept.length === 0 || kept.length === levels.length) return route;
  return variant(route, kept);
}

/** Every route Envoy needs a cluster for: the chain itself, then each part routeForLevels can choose. */
export function routeVariants(route: ModelRoute): ModelRoute[] {
  const levels = levelsOf(route);
  const parts: number[][] = [];
  if (levels.length <= MAX_LEVELS_COMBINED) {
    // Every non-empty proper subset, by bit mask over the levels.
    for (let mask = 1; mask < (1 << levels.length) - 1; mask += 1) parts.push(levels.filter((_, index) => (mask & (1 << index)) !== 0));
  } else {
    for (let from = 1; from < levels.length; from += 1) parts.push(levels.slice(from));
  }
  return [route, ...parts.map((part) => variant(route, part))];
}

function levelsOf(route: ModelRoute): number[] {
  return [...new Set(route.targets.map((target) => target.priority))].sort((left, right) => left - right);
}

function variant(route: ModelRoute, levels: readonly number[]): ModelRoute {
  const key = levels.join('_');
  let variants = cache.get(route);
  if (variants === undefined) {
    variants = new Map();
    cache.set(route, variants);
  }
  let built = variants.get(key);
  if (built === undefined) {
    const targets = route.targets
      .filter((target) => levels.includes(target.priority))
      .map((target): TargetRuntime => Object.freeze({ ...target, priority: levels.indexOf(target.priority) }));
    built = Object.freeze({ ...route, cluster: `${route.cluster}__levels_${key}`, targets: Object.freeze(targets) });
    variants.set(key, built);
  }
  return built;
}

/** Built once per (route, levels): a reload builds new routes, and the old ones are collected. */
const cache = new WeakMap<ModelRoute, Map<string, ModelRoute>>();
