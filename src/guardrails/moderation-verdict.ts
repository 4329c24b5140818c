import type { ModerationResult } from './gateway-moderator.js';

/** What a moderation guardrail counts: which categories (undefined: all), and from which score (undefined: the model's own flag). */
export interface ModerationRule {
  readonly categories: readonly string[] | undefined;
  readonly threshold: number | undefined;
}

/**
 * The first category that counts in any result, as a detector name (`self-harm/intent` ->
 * `self_harm_intent`: a fixed shape for metric labels), or undefined when none does. With
 * neither categories nor threshold, a flagged result without a flagged category counts as
 * `flagged`.
 */
export function moderationVerdict(results: readonly ModerationResult[], rule: ModerationRule): string | undefined {
  for (const result of results) {
    const names = rule.categories ?? Object.keys(rule.threshold === undefined ? result.categories : result.categoryScores);
    for (const name of names) {
      const counts = rule.threshold === undefined ? result.categories[name] === true : (result.categoryScores[name] ?? 0) >= rule.threshold;
      if (counts) return detectorName(name);
    }
    if (result.flagged && rule.categories === undefined && rule.threshold === undefined) return 'flagged';
  }
  return undefined;
}

function detectorName(category: string): string {
  const name = category.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 40);
  return /^[a-z]/.test(name) ? name : 'other';
}
