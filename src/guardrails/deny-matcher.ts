import type { DenyListGuardrailConfiguration } from '../config/guardrail-schema.js';
import { regexFindings, type Finding } from './detection.js';

/** Words and phrases match whole (not inside a longer word), ignoring case. */
function wordsPattern(words: readonly string[]): RegExp | undefined {
  if (words.length === 0) return undefined;
  const escaped = words.map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+'));
  return new RegExp(`(?<![\\p{L}\\p{N}_])(?:${escaped.join('|')})(?![\\p{L}\\p{N}_])`, 'giu');
}

/** A deny list's matcher: its findings in a text (detector `word` or `pattern`). */
export function denyMatcher(configuration: Pick<DenyListGuardrailConfiguration, 'words' | 'patterns'>): (text: string) => Finding[] {
  const words = wordsPattern(configuration.words);
  const patterns = configuration.patterns.map((source) => new RegExp(source, 'giu'));
  // Called on every streamed chunk's window: one list, no intermediate copies.
  return (text) => {
    const findings = words ? regexFindings(text, words, 'word') : [];
    for (const pattern of patterns) for (const finding of regexFindings(text, pattern, 'pattern')) findings.push(finding);
    return findings;
  };
}
