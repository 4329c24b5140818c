import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RuntimeView, TargetRuntime } from '../config/runtime.js';
import type { CapabilityOverride, Configuration, ProviderKind } from '../config/schema.js';
import { loadCapabilityTable, lookupCapabilities, type CapabilityTable, type ModelCapabilities } from './capability-table.js';

export { DEFAULT_CAPABILITY_TABLE_PATH } from './capability-table.js';

/** A capability table file; a relative path is taken from the package root (compiled code runs in dist/src/capabilities). */
export function loadCapabilityTableFile(path: string): CapabilityTable {
  const resolved = path.startsWith('/') ? path : fileURLToPath(new URL(`../../../${path}`, import.meta.url));
  return loadCapabilityTable(readFileSync(resolved, 'utf8'), path);
}

/** Each target's capabilities, resolved once at start; undefined for a model nobody described. */
export interface Capabilities {
  of(target: TargetRuntime): ModelCapabilities | undefined;
}

/**
 * Capabilities for every target: the table's entry (by the provider's kind; Azure deploys
 * OpenAI's models) with the configuration's override laid over it field by field
 * ("<provider name>/<model>" first, then "<kind>/<model>"). Throws an Error naming the
 * override when it describes a model the table lacks but leaves a field out: half a
 * description would check some things and silently not others.
 */
export function createCapabilities(table: CapabilityTable, configuration: Configuration, view: RuntimeView): Capabilities {
  const byTarget = new Map<string, ModelCapabilities | undefined>();
  for (const target of view.targets.values()) {
    const key = [`${target.provider.name}/${target.model}`, `${target.provider.kind}/${target.model}`].find((name) => Object.hasOwn(configuration.capabilities, name));
    const base = lookupCapabilities(table, tableKind(target.provider.kind), target.model);
    byTarget.set(target.id, key === undefined ? base : overridden(base, configuration.capabilities[key]!, key));
  }
  return { of: (target) => byTarget.get(target.id) };
}

function overridden(base: ModelCapabilities | undefined, override: CapabilityOverride, key: string): ModelCapabilities {
  const merged = { ...base, ...withoutUndefined(override) };
  const missing = FIELDS.filter((field) => merged[field] === undefined);
  if (missing.length > 0) {
    throw new Error(`capabilities.${key}: the capability table does not describe this model, so the override must set ${missing.join(', ')}`);
  }
  return merged as ModelCapabilities;
}

const FIELDS = ['context_window', 'max_output_tokens', 'tools', 'vision', 'json_schema', 'reasoning'] as const;

function withoutUndefined(override: CapabilityOverride): Partial<ModelCapabilities> {
  return Object.fromEntries(Object.entries(override).filter(([, value]) => value !== undefined));
}

function tableKind(kind: ProviderKind): ProviderKind {
  return kind === 'azure-openai' ? 'openai' : kind;
}
