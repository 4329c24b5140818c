import { parseDocument } from 'yaml';
import { z } from 'zod';
import { providerKinds, type ProviderKind } from '../config/schema.js';

/** Where the gateway's price table lives, relative to the package root. */
export const DEFAULT_PRICE_TABLE_PATH = 'config/prices.yaml';

/**
 * A price in USD per token. The ceiling catches the likeliest mistake, a price per million
 * tokens (how providers publish them) written where a price per token belongs: the dearest
 * model in the source is well below $1,000 per million tokens.
 */
const usdPerToken = z
  .number()
  .min(0, 'expected a price of 0 or more')
  .max(0.001, 'expected USD per token (at most 0.001): is this a price per million tokens?');

/** One model's prices; see config/prices.yaml for where each field comes from. */
export const modelPriceSchema = z.strictObject({
  /** Uncached prompt tokens. */
  input: usdPerToken,
  /** Completion tokens (and reasoning tokens, unless `reasoning` is set). */
  output: usdPerToken,
  /** Prompt tokens read from the provider's cache; absent means `input`. */
  cached_input: usdPerToken.optional(),
  /** Prompt tokens written to the provider's cache (Anthropic); absent means `input`. */
  cache_write: usdPerToken.optional(),
  /** Reasoning tokens, only where billed apart from output; absent means `output`. */
  reasoning: usdPerToken.optional(),
  /** The largest completion the model produces, for budget reservations. */
  max_output_tokens: z.number().int().positive().optional(),
});

export type ModelPrice = z.infer<typeof modelPriceSchema>;

const modelName = z.string().regex(/^\S+$/, 'expected a model name without spaces');

/** Provider kind -> model name as that provider knows it -> price. Every object is strict. */
export const priceTableSchema = z.partialRecord(z.enum(providerKinds), z.record(modelName, modelPriceSchema));

export type PriceTable = z.infer<typeof priceTableSchema>;

export class PriceTableError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid price table in ${source}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'PriceTableError';
  }
}

/** Parses and validates price-table text (config/prices.yaml); every problem names its path. */
export function loadPriceTable(text: string, source = '<inline>'): PriceTable {
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new PriceTableError(
      source,
      document.errors.map((error) => `YAML: ${error.message.split('\n')[0]}`),
    );
  }
  const result = priceTableSchema.safeParse(document.toJS());
  if (!result.success) throw new PriceTableError(source, result.error.issues.map(describeIssue));
  return result.data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.path.length === 0) {
    const hint = issue.code === 'unrecognized_keys' ? ` (provider kinds are ${providerKinds.join(', ')})` : '';
    return `(top level): ${issue.message}${hint}`;
  }
  return `${issue.path.map(String).join('.')}: ${issue.message}`;
}

/**
 * The price of `model` on a provider of `kind`, or undefined when the table has none.
 *
 * Names are tried in this order, and the first one in the table wins:
 *  1. the name exactly as given, so a snapshot priced apart from its alias
 *     (gpt-4o-2024-05-13) can be listed under its own name;
 *  2. without a "models/" prefix (Gemini's resource names: "models/gemini-2.5-flash");
 *  3. that name without one trailing snapshot suffix (see SNAPSHOT_SUFFIXES):
 *     "gpt-4o-mini-2024-07-18" -> "gpt-4o-mini", "claude-haiku-4-5-20251001" ->
 *     "claude-haiku-4-5", "gemini-2.5-flash-001" -> "gemini-2.5-flash",
 *     "claude-3-7-sonnet-latest" -> "claude-3-7-sonnet", "claude-sonnet-4-0" -> "claude-sonnet-4".
 * Nothing else is guessed: previews ("gemini-2.5-flash-preview-05-20") and other variants
 * are different models, sometimes with different prices, and stay unpriced unless listed.
 */
export function lookupPrice(table: PriceTable, kind: ProviderKind, model: string): ModelPrice | undefined {
  const models = table[kind];
  if (models === undefined) return undefined;
  for (const name of candidateNames(model)) {
    // Own keys only: a model named "constructor" must not find Object.prototype's.
    if (Object.hasOwn(models, name)) return models[name];
  }
  return undefined;
}

/**
 * Trailing suffixes that name a snapshot or an alias of a model rather than another model,
 * each with what replaces it.
 */
const SNAPSHOT_SUFFIXES: ReadonlyArray<readonly [RegExp, string]> = [
  // OpenAI snapshots: gpt-4o-mini-2024-07-18 (https://platform.openai.com/docs/models).
  [/-\d{4}-\d{2}-\d{2}$/, ''],
  // Anthropic snapshots: claude-sonnet-4-20250514 (https://docs.anthropic.com/en/docs/about-claude/models/overview).
  [/-\d{8}$/, ''],
  // Moving aliases: claude-3-7-sonnet-latest, gemini-1.5-pro-latest.
  [/-latest$/, ''],
  // Gemini stable versions: gemini-2.0-flash-001 (https://ai.google.dev/gemini-api/docs/models).
  [/-\d{3}$/, ''],
  // Anthropic's ".0" aliases: claude-sonnet-4-0 and claude-opus-4-0 are version 4.
  [/(-\d+)-0$/, '$1'],
];

/** The names `model` is looked up under, in order (see lookupPrice); shared with the capability table. */
export function candidateNames(model: string): string[] {
  const names = [model];
  const bare = model.startsWith('models/') ? model.slice('models/'.length) : model;
  if (bare !== model) names.push(bare);
  for (const [suffix, replacement] of SNAPSHOT_SUFFIXES) {
    if (suffix.test(bare)) {
      names.push(bare.replace(suffix, replacement));
      break;
    }
  }
  return names;
}
