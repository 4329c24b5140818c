import type { RouteConfiguration } from './route-schema.js';

/**
 * Whether any route has a `prompt_tokens` rule: then requests to it may wait for the
 * tokenizer (a prompt whose byte bound cannot decide the rule is counted), so the sidecar
 * starts the tokenizer at start-up rather than at the first such request (1-2 s).
 */
export function routesCountPromptTokens(routes: Readonly<Record<string, RouteConfiguration>>): boolean {
  return Object.values(routes).some((route) => route.rules.some((rule) => rule.when.prompt_tokens !== undefined));
}
