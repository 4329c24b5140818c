/**
 * Targets that asked not to be sent anything for a while (a 429 with Retry-After, an
 * overloaded provider), by target id. The attempt processor records a pause when a
 * provider's answer asks for one (readBackOff); routing skips paused targets: Envoy's health
 * check of the target fails while it is paused, the attempt processor never writes a request
 * for it, and a model whose targets are all paused is answered with a 429 and Retry-After.
 *
 * Kept in this process's memory; shareTargetPauses spreads them to the other replicas when
 * the governance store is Redis.
 */
export interface TargetPauses {
  /** Pauses a target for `milliseconds` from now; a pause is only ever lengthened, never shortened. */
  pause(targetId: string, milliseconds: number): void;
  /** Milliseconds until the target may be used again; 0 when it is not paused. */
  remaining(targetId: string): number;
}

/** @param now monotonic milliseconds (performance.now). */
export function createTargetPauses(now: () => number): TargetPauses {
  const until = new Map<string, number>();
  return {
    pause(targetId, milliseconds) {
      if (!(milliseconds > 0)) return;
      const end = now() + milliseconds;
      if ((until.get(targetId) ?? 0) < end) until.set(targetId, end);
    },
    remaining(targetId) {
      const end = until.get(targetId);
      if (end === undefined) return 0;
      const left = end - now();
      if (left > 0) return left;
      until.delete(targetId);
      return 0;
    },
  };
}
