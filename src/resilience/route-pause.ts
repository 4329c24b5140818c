import type { ModelRoute, TargetRuntime } from '../config/runtime.js';
import type { TargetPauses } from './target-pauses.js';

/**
 * Milliseconds until some usable target of the route may be sent a request again, when every
 * one of them is paused; undefined when at least one is free. Targets whose provider cannot
 * be used at all (no credential) are not counted: Envoy never sends them anything.
 */
export function routePausedFor(route: Pick<ModelRoute, 'targets'>, pauses: TargetPauses): number | undefined {
  let soonest = Infinity;
  for (const target of usableTargets(route)) {
    const remaining = pauses.remaining(target.id);
    if (remaining === 0) return undefined;
    soonest = Math.min(soonest, remaining);
  }
  return Number.isFinite(soonest) ? soonest : undefined;
}

function usableTargets(route: Pick<ModelRoute, 'targets'>): TargetRuntime[] {
  return route.targets.filter((target) => target.provider.unavailableReason === undefined);
}

/** Retry-After in whole seconds (RFC 9110 delay-seconds), never 0 for a pause still running. */
export function retryAfterSeconds(milliseconds: number): string {
  return String(Math.max(1, Math.ceil(milliseconds / 1000)));
}
