import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RuntimeView, TargetRuntime } from '../config/runtime.js';
import type { Configuration, PriceOverride, ProviderKind } from '../config/schema.js';
import type { Pricing } from '../governance/pricing.js';
import type { Usage } from '../providers/usage.js';
import { computeCost } from './compute-cost.js';
import { maxRequestCost } from './max-request-cost.js';
import { loadPriceTable, lookupPrice, type ModelPrice, type PriceTable } from './price-table.js';

export { DEFAULT_PRICE_TABLE_PATH } from './price-table.js';

/** A price table file; a relative path is taken from the package root (compiled code runs in dist/src/pricing). */
export function loadPriceTableFile(path: string): PriceTable {
  const resolved = path.startsWith('/') ? path : fileURLToPath(new URL(`../../../${path}`, import.meta.url));
  return loadPriceTable(readFileSync(resolved, 'utf8'), path);
}

/**
 * Prices for every target, resolved once at start: an override from the gateway
 * configuration ("<provider name>/<model>" first, then "<kind>/<model>", in USD per
 * million tokens), else the price table by the provider's kind (Azure bills like OpenAI).
 */
export function createPricing(table: PriceTable, configuration: Configuration, view: RuntimeView): Pricing & { priceOf(target: TargetRuntime): ModelPrice | undefined } {
  const byTarget = new Map<string, ModelPrice | undefined>();
  for (const target of view.targets.values()) {
    const override = configuration.prices[`${target.provider.name}/${target.model}`] ?? configuration.prices[`${target.provider.kind}/${target.model}`];
    byTarget.set(target.id, override ? perToken(override) : lookupPrice(table, tableKind(target.provider.kind), target.model));
  }
  const defaultMaxOutput = configuration.governance.default_max_output_tokens;
  return {
    priceOf: (target) => byTarget.get(target.id),
    maxCost(target, promptTokensUpperBound, maxOutputTokens) {
      const price = byTarget.get(target.id);
      if (price === undefined) return undefined;
      return maxRequestCost({ promptTokensUpperBound, maxOutputTokens: maxOutputTokens ?? price.max_output_tokens ?? defaultMaxOutput }, price);
    },
    cost(target: TargetRuntime, usage: Usage) {
      const price = byTarget.get(target.id);
      return price === undefined ? undefined : computeCost(usage, price).totalUsd;
    },
  };
}

function tableKind(kind: ProviderKind): ProviderKind {
  return kind === 'azure-openai' ? 'openai' : kind;
}

function perToken(override: PriceOverride): ModelPrice {
  const million = 1_000_000;
  const price: ModelPrice = { input: override.input / million, output: override.output / million };
  if (override.cached_input !== undefined) price.cached_input = override.cached_input / million;
  if (override.cache_write !== undefined) price.cache_write = override.cache_write / million;
  if (override.reasoning !== undefined) price.reasoning = override.reasoning / million;
  if (override.max_output_tokens !== undefined) price.max_output_tokens = override.max_output_tokens;
  return price;
}
