import { parseDocument } from 'yaml';
import { z } from 'zod';
import { providerKinds, type ProviderKind } from '../config/schema.js';
import { candidateNames } from '../pricing/price-table.js';

/** Where the gateway's capability table lives, relative to the package root. */
export const DEFAULT_CAPABILITY_TABLE_PATH = 'config/capabilities.yaml';

/** One model's limits and abilities; see config/capabilities.yaml for where each field comes from. */
export const modelCapabilitiesSchema = z.strictObject({
  /** Prompt plus output tokens the model holds (the source's max_input_tokens). */
  context_window: z.number().int().positive(),
  /** The largest completion the model produces. */
  max_output_tokens: z.number().int().positive(),
  /** Takes tool (function) definitions. */
  tools: z.boolean(),
  /** Takes images in the prompt. */
  vision: z.boolean(),
  /** Takes a JSON schema for its answer (OpenAI's response_format json_schema). */
  json_schema: z.boolean(),
  /** Takes reasoning controls (OpenAI's reasoning_effort, Anthropic's thinking). */
  reasoning: z.boolean(),
});

export type ModelCapabilities = z.infer<typeof modelCapabilitiesSchema>;

const modelName = z.string().regex(/^\S+$/, 'expected a model name without spaces');

/** Provider kind -> model name as that provider knows it -> capabilities. Every object is strict. */
export const capabilityTableSchema = z.partialRecord(z.enum(providerKinds), z.record(modelName, modelCapabilitiesSchema));

export type CapabilityTable = z.infer<typeof capabilityTableSchema>;

export class CapabilityTableError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid capability table in ${source}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'CapabilityTableError';
  }
}

/** Parses and validates capability-table text (config/capabilities.yaml); every problem names its path. */
export function loadCapabilityTable(text: string, source = '<inline>'): CapabilityTable {
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new CapabilityTableError(source, document.errors.map((error) => `YAML: ${error.message.split('\n')[0]}`));
  }
  const result = capabilityTableSchema.safeParse(document.toJS());
  if (!result.success) {
    throw new CapabilityTableError(
      source,
      result.error.issues.map((issue) => `${issue.path.length === 0 ? '(top level)' : issue.path.map(String).join('.')}: ${issue.message}`),
    );
  }
  return result.data;
}

/**
 * The capabilities of `model` on a provider of `kind`, or undefined when the table has none.
 * Names are tried as for prices (lookupPrice): exactly, without "models/", then without one
 * snapshot suffix, so "claude-sonnet-4-20250514" finds "claude-sonnet-4".
 */
export function lookupCapabilities(table: CapabilityTable, kind: ProviderKind, model: string): ModelCapabilities | undefined {
  const models = table[kind];
  if (models === undefined) return undefined;
  for (const name of candidateNames(model)) {
    if (Object.hasOwn(models, name)) return models[name];
  }
  return undefined;
}
