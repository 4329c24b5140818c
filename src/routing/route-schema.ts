import { z } from 'zod';

/**
 * The configuration of routes: model aliases whose target is chosen per request by ordered
 * rules (see choose-by-route.ts). Declared under `routes:` beside `models:`; a route's name is
 * what clients send as `model`. Every target is a model alias (which may be a fallback chain).
 */

/** Text conditions: a regular expression (JavaScript syntax, case-insensitive) or any of a list of keywords (case-insensitive, whole words). */
const textConditionSchema = z
  .strictObject({
    regex: z
      .string()
      .min(1)
      .refine((source) => compiles(source), { message: 'not a valid regular expression' })
      .optional(),
    keywords: z.array(z.string().min(1)).min(1).optional(),
  })
  .refine((condition) => condition.regex !== undefined || condition.keywords !== undefined, { message: 'set regex or keywords' });

/** A request header's value (or one of several), compared exactly; names are lower-case. */
const headerValuesSchema = z.union([z.string(), z.array(z.string()).min(1)]);

/** Every condition set must hold for the rule to match (an empty `when` always matches). */
export const ruleConditionsSchema = z.strictObject({
  last_user_message: textConditionSchema.optional(),
  system_prompt: textConditionSchema.optional(),
  /** Prompt tokens (the gateway's tokenizer), both bounds inclusive. */
  prompt_tokens: z
    .strictObject({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() })
    .refine((range) => range.min !== undefined || range.max !== undefined, { message: 'set min or max' })
    .optional(),
  has_tools: z.boolean().optional(),
  has_images: z.boolean().optional(),
  has_json_schema: z.boolean().optional(),
  stream: z.boolean().optional(),
  headers: z.record(z.string().regex(/^[a-z0-9-]+$/, 'expected a lower-case header name'), headerValuesSchema).optional(),
  /** The caller's virtual key: its alias (one of), and metadata values that must all match. */
  key: z
    .strictObject({
      alias: z.array(z.string().min(1)).min(1).optional(),
      metadata: z.record(z.string(), headerValuesSchema).optional(),
    })
    .optional(),
});

export const routeRuleSchema = z
  .strictObject({
    /** Names the rule in the x-gateway-route-rule header, the log line and the metric label. */
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'expected lower-case letters, digits, "_", "." or "-" (it is a metric label)'),
    when: ruleConditionsSchema.prefault({}),
    /** The model alias this rule sends the request to. */
    model: z.string().min(1).optional(),
    /** Or: the cheapest of these model aliases that can serve the request (capabilities, context window). */
    cheapest: z.array(z.string().min(1)).min(1).optional(),
    /** Or: the fastest of these model aliases that can serve the request, by live measurements (route's `latency`). */
    fastest: z.array(z.string().min(1)).min(1).optional(),
    /** With `cheapest` or `fastest`: only models whose `tier` is at least this. */
    min_tier: z.number().int().optional(),
  })
  .superRefine((rule, context) => {
    const targets = [rule.model, rule.cheapest, rule.fastest].filter((field) => field !== undefined).length;
    if (targets !== 1) context.addIssue({ code: 'custom', message: 'set one of model, cheapest or fastest' });
    if (rule.min_tier !== undefined && rule.cheapest === undefined && rule.fastest === undefined) {
      context.addIssue({ code: 'custom', path: ['min_tier'], message: 'only with cheapest or fastest' });
    }
  });

/**
 * How a route's `fastest` rules choose (choose-fastest.ts). Each candidate's score is the
 * moving average of its first target's latency (time to first token for streams, whole
 * answer otherwise) plus its error rate times `error_penalty_ms`.
 */
export const latencyChoiceSchema = z.strictObject({
  /** Share of requests sent to a candidate outside the fastest group, so a recovered one is measured again. */
  explore: z.number().min(0).max(1).default(0.05),
  /** Candidates within this fraction of the best score count as equally fast and share the traffic at random... */
  tolerance: z.number().min(0).default(0.2),
  /** ...or within this many milliseconds of it, whichever is wider (measurement noise on fast targets). */
  tolerance_ms: z.number().min(0).default(20),
  /** What an error rate of 1 adds to a score, in milliseconds: a failed attempt costs a retry elsewhere. */
  error_penalty_ms: z.number().min(0).default(2000),
});

export const routeSchema = z.strictObject({
  /** Tried in order; the first that matches chooses. */
  rules: z.array(routeRuleSchema).default([]),
  /** The model alias when no rule matches. */
  default: z.string().min(1),
  /**
   * Output tokens assumed for a request without max_tokens when estimating cost for `cheapest`.
   * The request's own bound is used when it sets one.
   */
  expected_output_tokens: z.number().int().positive().default(1024),
  /** How `fastest` rules weigh measurements and explore. */
  latency: latencyChoiceSchema.prefault({}),
});

export type RouteConfiguration = z.infer<typeof routeSchema>;
export type RouteRule = z.infer<typeof routeRuleSchema>;
export type RuleConditions = z.infer<typeof ruleConditionsSchema>;
export type LatencyChoiceConfiguration = z.infer<typeof latencyChoiceSchema>;

function compiles(source: string): boolean {
  try {
    new RegExp(source, 'iu');
    return true;
  } catch {
    return false;
  }
}

/**
 * Problems with routes that zod cannot see field by field: every alias a route names must be
 * a model (a route cannot target a route: choices never chain), rule names are unique within
 * a route, and a route's name must not also be a model's.
 */
export function routeProblems(routes: Readonly<Record<string, RouteConfiguration>>, models: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const known = (alias: string) => Object.hasOwn(models, alias);
  for (const [name, route] of Object.entries(routes)) {
    if (known(name)) problems.push(`routes.${name}: a model has the same name; a client's model name must mean one thing`);
    if (!known(route.default)) problems.push(`routes.${name}.default: no model named "${route.default}" is declared under models`);
    const names = new Set<string>();
    route.rules.forEach((rule, index) => {
      if (names.has(rule.name)) problems.push(`routes.${name}.rules.${index}.name: "${rule.name}" is used by another rule of this route`);
      names.add(rule.name);
      if (rule.name === 'default') problems.push(`routes.${name}.rules.${index}.name: "default" names the route's default`);
      for (const alias of rule.model !== undefined ? [rule.model] : (rule.cheapest ?? rule.fastest ?? [])) {
        if (!known(alias)) problems.push(`routes.${name}.rules.${index}: no model named "${alias}" is declared under models`);
      }
    });
  }
  return problems;
}
