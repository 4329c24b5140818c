import type { Admission } from '../governance/governance.js';

/**
 * Where one client request stands, from the sidecar's point of view:
 *
 *   received ─► admitting ─► forwarded ─► responding ─► finished
 *       │            │            │             │
 *       └────────────┴────────────┴─────────────┴──────► cancelled
 *
 * - received: the headers arrived; nothing is held yet.
 * - admitting: governance is asking its store (a Redis round trip); a budget hold and a
 *   parallel slot may come back.
 * - forwarded: handed to Envoy's router, which may try several providers.
 * - responding: response headers arrived; the body is flowing back.
 * - finished: answered, refused or metered; cancelled: the ext_proc stream ended first
 *   (client gone, Envoy restarted or crashed, the stream reset).
 *
 * The lifecycle owns the admission and its single ending: every path, abrupt ones
 * included, either releases it (the request never reached a provider: nothing is spent)
 * or settles it (with the metered cost), exactly once. In particular an admission that
 * comes back after the stream was cancelled is released at once instead of being
 * forwarded and held until its reservation expires.
 */
export type RequestState = 'received' | 'admitting' | 'forwarded' | 'responding' | 'finished' | 'cancelled';

/** What a settled request cost, as governance records it. */
export interface SettlementFacts {
  /** The model alias asked for. */
  model: string;
  /** USD, or undefined when the model has no price (recorded as unknown in spend; nothing against the budget). */
  costUsd: number | undefined;
  /** Metered prompt + completion tokens. */
  tokens: number;
}

export interface AdmissionSettler {
  settle(admission: Admission, model: string, costUsd: number | undefined, tokens: number): Promise<void>;
  release(admission: Admission): Promise<void>;
}

/** What a cancel() leaves for the caller to do. */
export type CancelledWith =
  /** Nothing reached a provider; any admission is (or, once the store answers, will be) released. */
  | 'nothing-owed'
  /** The request reached a provider: the caller meters what was delivered and calls settleCutShort(). */
  | 'cut-short'
  /** It had ended already. */
  | 'already-ended';

export class RequestLifecycle {
  readonly #settler: AdmissionSettler;
  #state: RequestState = 'received';
  #admission: Admission | undefined;
  /** The admission was settled or released (or there was none, and nothing can come any more). */
  #admissionEnded = false;

  constructor(settler: AdmissionSettler) {
    this.#settler = settler;
  }

  get state(): RequestState {
    return this.#state;
  }

  get admission(): Admission | undefined {
    return this.#admission;
  }

  /** received -> admitting: governance is asking its store. */
  admitting(): void {
    this.#expect('received', 'admitting');
    this.#state = 'admitting';
  }

  /**
   * The store answered. Returns false when the request was cancelled while it was asked:
   * the admission is released here and the request must not be forwarded.
   */
  admitted(admission: Admission | undefined): boolean {
    if (this.#state === 'cancelled') {
      this.#admissionEnded = true;
      if (admission !== undefined) void this.#settler.release(admission);
      return false;
    }
    this.#expect('admitting', 'admitted');
    this.#admission = admission;
    return true;
  }

  /** received | admitting -> forwarded: the routing reply goes back to Envoy. */
  forwarded(): void {
    if (this.#state !== 'received' && this.#state !== 'admitting') throw new Error(`a request cannot be forwarded while ${this.#state}`);
    this.#state = 'forwarded';
  }

  /** forwarded -> responding: the response headers arrived. */
  responding(): void {
    this.#expect('forwarded', 'responding');
    this.#state = 'responding';
  }

  /** Refused before it was forwarded -> finished: any admission is released. */
  refused(): void {
    if (this.#state === 'finished' || this.#state === 'cancelled') return;
    this.#state = 'finished';
    this.#releaseAdmission();
  }

  /**
   * The response ended normally -> finished: the admission is settled with what the request
   * cost. Returns false when it had already ended (nothing is settled twice).
   */
  finished(facts: SettlementFacts): boolean {
    if (this.#state === 'finished' || this.#state === 'cancelled') return false;
    this.#state = 'finished';
    this.#settle(facts);
    return true;
  }

  /**
   * The ext_proc stream ended before the request finished (from any state). A request that
   * never reached a provider releases its admission now (or when the store answers); one
   * that did is left for the caller to meter and settle with settleCutShort().
   */
  cancel(): CancelledWith {
    const before = this.#state;
    if (before === 'finished' || before === 'cancelled') return 'already-ended';
    this.#state = 'cancelled';
    if (before === 'forwarded' || before === 'responding') return 'cut-short';
    // admitting: the answer is still to come, and admitted() releases it.
    if (before === 'received') this.#releaseAdmission();
    return 'nothing-owed';
  }

  /** Settles a cancelled request that had reached a provider, with what was delivered. Once. */
  settleCutShort(facts: SettlementFacts): void {
    if (this.#state !== 'cancelled') throw new Error(`settleCutShort() while ${this.#state}`);
    this.#settle(facts);
  }

  #settle(facts: SettlementFacts): void {
    if (this.#admissionEnded) return;
    this.#admissionEnded = true;
    const admission = this.#admission;
    if (admission !== undefined) void this.#settler.settle(admission, facts.model, facts.costUsd, facts.tokens);
  }

  #releaseAdmission(): void {
    if (this.#admissionEnded) return;
    this.#admissionEnded = true;
    const admission = this.#admission;
    if (admission !== undefined) void this.#settler.release(admission);
  }

  #expect(state: RequestState, transition: string): void {
    if (this.#state !== state) throw new Error(`request lifecycle: ${transition} while ${this.#state}`);
  }
}
