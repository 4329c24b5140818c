import type { GuardrailConfiguration } from '../config/guardrail-schema.js';
import type { Finding } from './detection.js';
import { durationMilliseconds } from '../config/duration.js';
import { denyMatcher } from './deny-matcher.js';
import type { ModerationRule } from './moderation-verdict.js';
import { externalAnalyzer, type AnalyzeText } from './external-analyzer.js';
import { detectInjection } from './injection-detector.js';
import { piiScanner } from './pii-scanner.js';

/** A configured guardrail made ready to run. */
export type Guardrail =
  | { readonly kind: 'pii'; readonly name: string; readonly action: 'block' | 'mask' | 'redact' | 'log'; readonly scan: (text: string) => Finding[] }
  | { readonly kind: 'prompt_injection'; readonly name: string; readonly action: 'block' | 'log'; readonly scan: (text: string) => Finding[] }
  | { readonly kind: 'analyzer'; readonly name: string; readonly action: 'block' | 'mask' | 'redact' | 'log'; readonly analyze: AnalyzeText; readonly onError: 'open' | 'closed' }
  | { readonly kind: 'deny_list'; readonly name: string; readonly action: 'block' | 'log'; readonly scan: (text: string) => Finding[]; readonly window: number; readonly holdBack: number }
  | {
      readonly kind: 'moderation';
      readonly name: string;
      readonly action: 'block' | 'log';
      /** The alias of the gateway's moderation model. */
      readonly model: string;
      readonly rule: ModerationRule;
      readonly input: boolean;
      readonly output: boolean;
      readonly timeoutMs: number;
      readonly onError: 'open' | 'closed';
    };

/** What the guardrail configuration needs of the whole configuration. */
export interface GuardrailSources {
  guardrails: Record<string, GuardrailConfiguration>;
  models: Record<string, { guardrails?: string[] | undefined }>;
  keys: { alias: string; guardrails?: string[] | undefined }[];
}

/** The guardrails of each model and each declared key, compiled once per configuration. */
export interface GuardrailPolicies {
  /** Whether any declared key attaches guardrails (the key must then be known before the request is checked). */
  readonly byKey: boolean;
  /** A request's guardrails: its model's, then its key's, each once; empty when none apply. */
  forRequest(model: string, keyAlias: string | undefined): Guardrail[];
}

function compile(name: string, configuration: GuardrailConfiguration): Guardrail {
  switch (configuration.type) {
    case 'pii':
      return { kind: 'pii', name, action: configuration.action, scan: piiScanner(configuration.detectors, configuration.phone_region) };
    case 'prompt_injection':
      return { kind: 'prompt_injection', name, action: configuration.action, scan: detectInjection };
    case 'analyzer':
      return { kind: 'analyzer', name, action: configuration.action, analyze: externalAnalyzer(configuration), onError: configuration.on_error };
    case 'deny_list':
      return { kind: 'deny_list', name, action: configuration.action, scan: denyMatcher(configuration), window: configuration.window, holdBack: configuration.hold_back };
    case 'moderation':
      return {
        kind: 'moderation',
        name,
        action: configuration.action,
        model: configuration.model,
        rule: { categories: configuration.categories, threshold: configuration.threshold },
        input: configuration.on.includes('input'),
        output: configuration.on.includes('output'),
        timeoutMs: durationMilliseconds(configuration.timeout),
        onError: configuration.on_error,
      };
  }
}

/** Compiles the configuration's guardrails (references were checked when it was loaded). */
export function createGuardrailPolicies(sources: GuardrailSources): GuardrailPolicies {
  const compiled = new Map(Object.entries(sources.guardrails).map(([name, configuration]) => [name, compile(name, configuration)]));
  const names = (list: string[] | undefined) => (list ?? []).map((name) => compiled.get(name)).filter((guardrail) => guardrail !== undefined);
  const byModel = new Map(Object.entries(sources.models).map(([alias, model]) => [alias, names(model.guardrails)]));
  const byKeyAlias = new Map(sources.keys.map((key) => [key.alias, names(key.guardrails)]));
  return {
    byKey: [...byKeyAlias.values()].some((list) => list.length > 0),
    forRequest(model, keyAlias) {
      const fromModel = byModel.get(model) ?? [];
      const fromKey = keyAlias === undefined ? [] : (byKeyAlias.get(keyAlias) ?? []);
      if (fromKey.length === 0) return fromModel;
      return [...new Set([...fromModel, ...fromKey])];
    },
  };
}
