import type { AnalyzerGuardrailConfiguration } from '../config/guardrail-schema.js';
import { durationMilliseconds } from '../config/duration.js';
import type { Finding } from './detection.js';

/** Calls an external analyser for one text: its findings, or a rejection when it failed or took too long. */
export type AnalyzeText = (text: string) => Promise<Finding[]>;

/** Entity types become detector names: lower-case, and only a safe shape (they are metric labels). */
function detectorName(entityType: unknown): string {
  return typeof entityType === 'string' && /^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(entityType) ? entityType.toLowerCase() : 'other';
}

/**
 * A Presidio-compatible analyser client (https://microsoft.github.io/presidio/api-docs/api-docs.html#tag/Analyzer):
 * POST {url} with `{text, language, entities?, score_threshold}`, answered with
 * `[{entity_type, start, end, score}]` (offsets in characters of `text`). A status other than
 * 200, a body of another shape, or no answer within `timeout` rejects.
 */
export function externalAnalyzer(configuration: AnalyzerGuardrailConfiguration, fetcher: typeof fetch = fetch): AnalyzeText {
  const timeout = durationMilliseconds(configuration.timeout);
  return async (text) => {
    if (text.trim().length === 0) return [];
    const response = await fetcher(configuration.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text, language: configuration.language, ...(configuration.entities ? { entities: configuration.entities } : {}), score_threshold: configuration.score_threshold }),
      signal: AbortSignal.timeout(timeout),
    });
    if (response.status !== 200) throw new Error(`analyser answered ${response.status}`);
    const results: unknown = await response.json();
    if (!Array.isArray(results)) throw new Error('analyser answer is not a list');
    return results.flatMap((result: { entity_type?: unknown; start?: unknown; end?: unknown; score?: unknown }) => {
      const { start, end, score } = result;
      if (typeof start !== 'number' || typeof end !== 'number' || !(start >= 0 && end > start && end <= text.length)) return [];
      if (typeof score === 'number' && score < configuration.score_threshold) return [];
      return [{ start, end, detector: detectorName(result.entity_type) }];
    });
  };
}
