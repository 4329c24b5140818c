import { z } from 'zod';
import { durationMilliseconds } from './duration.js';

/**
 * Guardrails in the configuration: named checks (`guardrails.<name>`) that models and keys
 * attach by name (`models.<alias>.guardrails`, `keys[].guardrails`). A request runs every
 * guardrail of its model and of its key, in that order, each once. See src/guardrails/.
 */

/** The personal-data and secret detectors, by the name a refusal and a metric label give them. */
export const piiDetectorNames = ['email', 'phone', 'card', 'iban', 'ssn', 'ip', 'secret'] as const;
export type PiiDetectorName = (typeof piiDetectorNames)[number];

/** The prompt-injection pattern families, by the name a refusal and a metric label give them. */
export const injectionDetectorNames = ['instruction_override', 'role_hijack', 'prompt_extraction', 'encoded_payload'] as const;
export type InjectionDetectorName = (typeof injectionDetectorNames)[number];

/** Personal data and secrets in every text the provider would see: masked (and restored in the answer), redacted, refused or logged. */
export const piiGuardrailSchema = z.strictObject({
  type: z.literal('pii'),
  detectors: z.array(z.enum(piiDetectorNames)).min(1).default([...piiDetectorNames]),
  action: z.enum(['block', 'mask', 'redact', 'log']),
  /** Country whose national phone formats are recognised without a +prefix (ISO 3166-1 alpha-2). */
  phone_region: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 country code such as "US"').default('US'),
});

/** Known prompt-injection patterns in user text and tool results: refused or logged. */
export const injectionGuardrailSchema = z.strictObject({
  type: z.literal('prompt_injection'),
  action: z.enum(['block', 'log']),
});

const regexSource = z.string().min(1).refine((source) => {
  try {
    new RegExp(source, 'iu');
    return true;
  } catch {
    return false;
  }
}, 'expected a valid JavaScript regular expression');

/** Words and patterns the answer must not contain (case-insensitive): the answer is cut (block) or logged. */
export const denyListGuardrailSchema = z.strictObject({
  type: z.literal('deny_list'),
  /** Whole words or phrases. */
  words: z.array(z.string().min(1)).default([]),
  /** Regular expressions (JavaScript syntax, matched case-insensitively). */
  patterns: z.array(regexSource).default([]),
  action: z.enum(['block', 'log']),
  /** Characters of a stream's answer kept for matches that span chunks: the longest match that is found whole. */
  window: z.number().int().min(8).max(65536).default(256),
  /**
   * Characters of a stream's answer held back until the next chunk is checked: at least the
   * longest match less one, and no match is ever partly delivered. 0: each chunk goes on at once.
   */
  hold_back: z.number().int().min(0).max(4096).default(0),
});

/**
 * An external analyser over HTTP that finds what rules cannot (names, addresses), with the
 * request and answer of Presidio's analyzer REST API (POST /analyze {text, language,
 * entities?, score_threshold?} -> [{entity_type, start, end, score}]).
 */
export const analyzerGuardrailSchema = z.strictObject({
  type: z.literal('analyzer'),
  url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  action: z.enum(['block', 'mask', 'redact', 'log']),
  /** Entity types to ask for (Presidio's names, e.g. PERSON, LOCATION); absent: all the analyser knows. */
  entities: z.array(z.string().regex(/^[A-Z][A-Z0-9_]{0,39}$/, 'expected an entity type such as PERSON')).min(1).optional(),
  language: z.string().min(2).default('en'),
  score_threshold: z.number().min(0).max(1).default(0.5),
  /** How long one call may take before on_error applies. */
  timeout: z.string().regex(/^\d+(\.\d+)?(ms|s)$/, 'expected a duration such as "300ms" or "2s"').default('500ms'),
  /** open: an unanswered call lets the request through unchecked (and says so); closed: the request is refused with a 503. */
  on_error: z.enum(['open', 'closed']),
});

/**
 * A moderation model (or any classifier served on OpenAI's POST /v1/moderations format) of
 * this gateway, called through the gateway's own listener with the client's credential:
 * on the answer (`output`, the default) and, as a classifier, on user text and tool results
 * (`input`). A flagged text is refused (input) or cut (output), or logged.
 */
export const moderationGuardrailSchema = z.strictObject({
  type: z.literal('moderation'),
  /** The alias of one of this gateway's models that serves /v1/moderations. */
  model: z.string().min(1),
  action: z.enum(['block', 'log']),
  /**
   * Categories that count, by the service's names (OpenAI: harassment, harassment/threatening,
   * hate, hate/threatening, illicit, illicit/violent, self-harm, self-harm/intent,
   * self-harm/instructions, sexual, sexual/minors, violence, violence/graphic); absent: any the model flags.
   */
  categories: z.array(z.string().regex(/^[a-z][a-z0-9_/-]{0,63}$/, 'expected a category name such as "violence" or "self-harm/intent"')).min(1).optional(),
  /** A category counts when its score reaches this; absent: when the model flags it. */
  threshold: z.number().min(0).max(1).optional(),
  /** Where it applies: `output` (answers) and/or `input` (user text and tool results). */
  on: z.array(z.enum(['input', 'output'])).min(1).default(['output']),
  /**
   * How long one call may take before on_error applies. The request (or answer chunk) waits
   * for it inside one ext_proc message, so it stays under Envoy's 5 s message timeout.
   */
  timeout: z
    .string()
    .regex(/^\d+(\.\d+)?(ms|s)$/, 'expected a duration such as "300ms" or "2s"')
    .refine((value) => durationMilliseconds(value) <= 4000, 'at most "4s": the call is waited for within Envoy\'s 5 s ext_proc message timeout')
    .default('2s'),
  /** open: an unanswered call lets the text through unchecked (and says so); closed: the request is refused with a 503, or the answer cut. */
  on_error: z.enum(['open', 'closed']),
});

export const guardrailSchema = z.discriminatedUnion('type', [piiGuardrailSchema, injectionGuardrailSchema, denyListGuardrailSchema, analyzerGuardrailSchema, moderationGuardrailSchema], {
  error: 'expected a guardrail with type "pii", "prompt_injection", "deny_list", "analyzer" or "moderation"',
});

export const guardrailName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'expected lower-case letters, digits, "_" or "-" (it is a metric label)');

/** The names a model or key attaches. */
export const guardrailReferences = z.array(guardrailName).optional();

export type GuardrailConfiguration = z.infer<typeof guardrailSchema>;
export type PiiGuardrailConfiguration = z.infer<typeof piiGuardrailSchema>;
export type DenyListGuardrailConfiguration = z.infer<typeof denyListGuardrailSchema>;
export type AnalyzerGuardrailConfiguration = z.infer<typeof analyzerGuardrailSchema>;
export type ModerationGuardrailConfiguration = z.infer<typeof moderationGuardrailSchema>;

/** Each attached name that no guardrail has, and each moderation model that is not a model, as a path and a message (for the configuration's own check). */
export function unknownGuardrailReferences(configuration: {
  guardrails: Record<string, { type: string; model?: string }>;
  models: Record<string, { guardrails?: string[] | undefined }>;
  keys: { alias: string; guardrails?: string[] | undefined }[];
}): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const known = (name: string) => Object.hasOwn(configuration.guardrails, name);
  for (const [name, guardrail] of Object.entries(configuration.guardrails)) {
    if (guardrail.type === 'moderation' && guardrail.model !== undefined && !Object.hasOwn(configuration.models, guardrail.model)) {
      issues.push({ path: ['guardrails', name, 'model'], message: `no model '${guardrail.model}' in models (a moderation guardrail calls one of this gateway's models)` });
    }
  }
  for (const [alias, model] of Object.entries(configuration.models)) {
    (model.guardrails ?? []).forEach((name, index) => {
      if (!known(name)) issues.push({ path: ['models', alias, 'guardrails', index], message: `no guardrail named '${name}' (declare it under guardrails)` });
    });
  }
  configuration.keys.forEach((key, keyIndex) => {
    (key.guardrails ?? []).forEach((name, index) => {
      if (!known(name)) issues.push({ path: ['keys', keyIndex, 'guardrails', index], message: `no guardrail named '${name}' (declare it under guardrails)` });
    });
  });
  return issues;
}
