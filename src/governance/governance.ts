import type { ModelRoute, TargetRuntime } from '../config/runtime.js';
import { GatewayError } from '../errors.js';
import type { AdmissionBounds } from '../endpoints/endpoint.js';
import { StoreUnavailableError, type BudgetState, type GovernanceStore, type LimitState } from '../stores/governance-store.js';
import { admissionRefusal } from './admission-refusal.js';
import { authenticate } from './authenticate.js';
import { fittingMaxTokens } from './fitting-max-tokens.js';
import type { Keyring } from './keyring.js';
import { modelAllowed } from './model-pattern.js';
import type { Pricing } from './pricing.js';
import { rateLimitHeaders } from './rate-limit-headers.js';
import type { VirtualKey } from './virtual-key.js';

export interface AdmissionInput {
  credential: string | undefined;
  route: ModelRoute;
  /** The most prompt and output the request may use (from its endpoint), for the budget reservation. */
  bounds: AdmissionBounds;
  /**
   * The route the client asked for, when a route chose `route` (src/routing/): a key allowed the
   * route may use whatever model it chooses (the operator vouches for a route's models by writing
   * it); a key allowed the chosen model may use it whichever way it was asked for. Prices and
   * budgets are always the chosen model's.
   */
  askedRoute?: string | undefined;
}

/** A request let through: who it is, what it holds against the budget, and the headers to send back. */
export interface Admission {
  readonly key: VirtualKey;
  readonly reservationId: string;
  readonly reservationUsd: number;
  /** x-ratelimit-* for the response. */
  readonly headers: Record<string, string>;
  /** The store could not be reached and the policy let the request through unchecked. */
  readonly unchecked: boolean;
}

export interface GovernanceDependencies {
  keyring: Keyring;
  store: GovernanceStore;
  pricing: Pricing;
  /** deny: refuse requests while the store is unreachable (the default); allow: serve them without limits. */
  onStoreUnavailable: 'deny' | 'allow';
  /** Wall-clock milliseconds. */
  clock: () => number;
  newId: () => string;
  /** An unsettled reservation is released after this long (a replica died mid-request). */
  reservationTtlMs: number;
  /** Called when the store fails; never receives a credential. */
  onStoreError: (operation: string, error: unknown) => void;
  /** Called after each admission or settlement with the key's latest state (for the remaining-budget gauge). */
  onState?: (key: VirtualKey, state: LimitState) => void;
}

/**
 * Keys, model access, rate limits and budgets, checked in the router processor before any
 * upstream call. Budgets hold by reservation: a request reserves the most it can cost,
 * atomically with the check, and settles the metered cost when it ends.
 */
export class Governance {
  readonly #dependencies: GovernanceDependencies;

  constructor(dependencies: GovernanceDependencies) {
    this.#dependencies = dependencies;
  }

  get keysRequired(): boolean {
    return this.#dependencies.keyring.required;
  }

  /**
   * Undefined, synchronously, when the gateway is open and the request carries no key it
   * could know: the common case of an open gateway costs no store round trip and no promise.
   */
  admit(input: AdmissionInput): Promise<Admission | undefined> | undefined {
    const { keyring } = this.#dependencies;
    if (!keyring.required && (input.credential === undefined || !keyring.mightKnow(input.credential))) return undefined;
    return this.#admit(input);
  }

  /**
   * Who is calling, for requests that use no limits (GET /v1/models): the key, undefined for
   * an anonymous client of an open gateway (synchronously when no store lookup is needed), or
   * the same 401/503 an admission would give.
   */
  identify(credential: string | undefined): Promise<VirtualKey | undefined> | undefined {
    const { keyring } = this.#dependencies;
    if (!keyring.required && (credential === undefined || !keyring.mightKnow(credential))) return undefined;
    return this.#authenticate(credential, this.#dependencies.clock());
  }

  async #authenticate(credential: string | undefined, now: number): Promise<VirtualKey | undefined> {
    try {
      return await authenticate(credential, this.#dependencies.keyring, now);
    } catch (error) {
      // A key that cannot be looked up cannot be trusted, whatever the policy for limits says.
      if (error instanceof StoreUnavailableError) throw this.#storeUnavailable('keys', error);
      throw error;
    }
  }

  async #admit(input: AdmissionInput): Promise<Admission | undefined> {
    const { store, onStoreUnavailable, clock } = this.#dependencies;
    const now = clock();
    const key = await this.#authenticate(input.credential, now);
    if (key === undefined) return undefined;
    if (!modelAllowed(key.models, input.route.alias) && (input.askedRoute === undefined || !modelAllowed(key.models, input.askedRoute))) {
      throw new GatewayError({
        status: 403,
        code: 'model_not_allowed',
        type: 'permission_error',
        param: 'model',
        retryable: false,
        keyAlias: key.alias,
        message:
          input.askedRoute === undefined
            ? `The API key '${key.alias}' may not use the model '${input.route.alias}'. It may use: ${key.models.join(', ')}.`
            : `The API key '${key.alias}' may not use the route '${input.askedRoute}', nor the model '${input.route.alias}' it chose. It may use: ${key.models.join(', ')}.`,
      });
    }
    const reservationUsd = key.limits.budget ? this.#reservation(key, input) : 0;
    const reservationId = this.#dependencies.newId();
    let result;
    try {
      result = await store.admit({ keyId: key.id, now, limits: key.limits, reservationId, reservationUsd, reservationTtlMs: this.#dependencies.reservationTtlMs });
    } catch (error) {
      if (error instanceof StoreUnavailableError && onStoreUnavailable === 'allow') {
        this.#dependencies.onStoreError('admit', error);
        return { key, reservationId, reservationUsd, headers: {}, unchecked: true };
      }
      throw this.#storeUnavailable('limits', error);
    }
    this.#dependencies.onState?.(key, result.state);
    if (!result.admitted) {
      const fit = result.reason === 'budget' && result.state.budget ? { maxTokens: this.#fittingMaxTokens(input, result.state.budget) } : undefined;
      throw admissionRefusal(key, result.reason, result.retryAfterSeconds, result.state, reservationUsd, fit);
    }
    return { key, reservationId, reservationUsd, headers: rateLimitHeaders(result.state), unchecked: false };
  }

  /**
   * Gives back an admission whose request never reached a provider: its reservation and
   * parallel slot are freed, and no spend is recorded. Never throws.
   */
  release(admission: Admission): Promise<void> {
    return this.settle(admission, undefined, 0, 0);
  }

  /**
   * Records what the request cost (model undefined: a release, recording nothing; costUsd
   * undefined: the model has no price, so the cost is recorded as unknown); never throws (a
   * failed write is logged, and the reservation expires).
   */
  async settle(admission: Admission, model: string | undefined, costUsd: number | undefined, tokens: number): Promise<void> {
    if (admission.unchecked) return;
    const { store, clock } = this.#dependencies;
    const now = clock();
    const limits = admission.key.limits;
    try {
      await store.settle({ keyId: admission.key.id, now, limits, reservationId: admission.reservationId, costUsd, tokens, model });
      if (this.#dependencies.onState && (limits.budget || limits.maxParallel !== undefined)) {
        this.#dependencies.onState(admission.key, await store.state(admission.key.id, limits, now));
      }
    } catch (error) {
      this.#dependencies.onStoreError('settle', error);
    }
  }

  /** The largest max_tokens that would have fitted in what the budget has left (for the 402). */
  #fittingMaxTokens(input: AdmissionInput, budget: BudgetState): number | undefined {
    const promptBound = input.bounds.promptTokens;
    const targets = usableTargets(input.route);
    const worstCase = (maxTokens: number) => Math.max(0, ...targets.map((target) => this.#dependencies.pricing.maxCost(target, promptBound, maxTokens) ?? 0));
    return fittingMaxTokens(worstCase, budget.limitUsd - budget.spentUsd - budget.reservedUsd, input.bounds.maxOutputTokens);
  }

  /** The most the request can cost on any target it may be sent to (a fallback can be dearer than the primary). */
  #reservation(key: VirtualKey, input: AdmissionInput): number {
    const promptBound = input.bounds.promptTokens;
    const maxOutput = input.bounds.maxOutputTokens;
    let most = 0;
    for (const target of usableTargets(input.route)) {
      const cost = this.#dependencies.pricing.maxCost(target, promptBound, maxOutput);
      if (cost === undefined) {
        throw new GatewayError({
          status: 403,
          code: 'model_not_priced',
          type: 'permission_error',
          param: 'model',
          retryable: false,
          keyAlias: key.alias,
          message: `The API key '${key.alias}' has a budget, and the model '${input.route.alias}' (${target.provider.name}/${target.model}) has no price, so its cost cannot be held to the budget. Add a price for it in the gateway configuration.`,
        });
      }
      most = Math.max(most, cost);
    }
    return most;
  }

  #storeUnavailable(what: 'keys' | 'limits', error: unknown): GatewayError {
    this.#dependencies.onStoreError(what === 'keys' ? 'find key' : 'admit', error);
    return new GatewayError({
      status: 503,
      code: 'governance_store_unavailable',
      type: 'server_error',
      headers: { 'retry-after': '1' },
      message:
        what === 'keys'
          ? 'The gateway cannot check API keys right now: its key store is unreachable. Retry shortly.'
          : 'The gateway cannot check rate limits and budgets right now: its limit store is unreachable, and it is configured to refuse requests until it is back. Retry shortly.',
    });
  }
}

function usableTargets(route: ModelRoute): TargetRuntime[] {
  return route.targets.filter((target) => target.provider.unavailableReason === undefined);
}
