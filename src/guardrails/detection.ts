/**
 * A finding in one text: [start, end) in UTF-16 code units, and the detector that made it.
 * Detectors return findings in any order; `resolveOverlaps` keeps the earlier detector's.
 */
export interface Finding {
  readonly start: number;
  readonly end: number;
  readonly detector: string;
}

/** A detector: every finding in `text`. Pure; never throws on any input. */
export type Detector = (text: string) => Finding[];

/** Findings sorted by start, overlaps dropped (a finding from an earlier detector in `order` wins). */
export function resolveOverlaps(findings: Finding[], order: readonly string[]): Finding[] {
  const rank = (finding: Finding) => order.indexOf(finding.detector);
  const byPriority = [...findings].sort((a, b) => rank(a) - rank(b) || a.start - b.start);
  const kept: Finding[] = [];
  for (const finding of byPriority) {
    if (kept.every((other) => finding.end <= other.start || finding.start >= other.end)) kept.push(finding);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/** Every match of a global regular expression as a finding (optionally only those `accept` keeps). */
export function regexFindings(text: string, pattern: RegExp, detector: string, accept?: (match: string) => boolean): Finding[] {
  const findings: Finding[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match[0].length === 0) {
      pattern.lastIndex += 1;
      continue;
    }
    if (accept === undefined || accept(match[0])) findings.push({ start: match.index, end: match.index + match[0].length, detector });
  }
  return findings;
}
