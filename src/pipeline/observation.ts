/**
 * Who reads a marked request's answer body (sidecar.pass_through_observability_mode): the router
 * processor decides at response headers, once. 'observer': the router filter skips the body and
 * the observer stream (extproc/observer-processor.ts) meters it; 'router': the router filter reads
 * it as for any request (an error answer, a compressed one) and the observer stream ignores it.
 * Exactly one of the two streams ends the request: the observer's once it has found the request
 * (`claimed`), the router's otherwise.
 */
export type ObservationOwner = 'pending' | 'observer' | 'router';

export class Observation {
  #owner: ObservationOwner = 'pending';
  #waiting: (() => void)[] = [];
  /** The observer stream found this request: from now on its close, not the router's, ends the request. */
  claimed = false;

  get owner(): ObservationOwner {
    return this.#owner;
  }

  /** Decides once (later calls are ignored) and wakes an observer stream waiting for the decision. */
  decide(owner: 'observer' | 'router'): void {
    if (this.#owner !== 'pending') return;
    this.#owner = owner;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const wake of waiting) wake();
  }

  /** Resolves once decided (at once if it is). */
  decided(): Promise<void> | undefined {
    if (this.#owner !== 'pending') return undefined;
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}
