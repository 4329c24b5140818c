import type { RuntimeView, TargetRuntime } from '../config/runtime.js';

/** A model alias's target that has no price: what it serves has an unknown cost. */
export interface UnpricedModel {
  /** The alias clients ask for. */
  alias: string;
  /** The provider's name in the configuration. */
  provider: string;
  /** The model name the provider knows. */
  model: string;
}

/**
 * Every target of every model alias that has no price (neither in the price table nor in the
 * configuration's `prices`), skipping providers that are disabled (they serve nothing).
 * Named at start so an operator learns of it before the spend report shows unknown costs.
 */
export function unpricedModels(view: RuntimeView, priceOf: (target: TargetRuntime) => unknown): UnpricedModel[] {
  const unpriced: UnpricedModel[] = [];
  for (const route of view.models.values()) {
    for (const target of route.targets) {
      if (target.provider.unavailableReason !== undefined || priceOf(target) !== undefined) continue;
      unpriced.push({ alias: route.alias, provider: target.provider.name, model: target.model });
    }
  }
  return unpriced;
}
