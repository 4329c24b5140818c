import type { TextGroup } from './request-texts.js';

/** A span of a group's joined text and what replaces it. */
export interface Replacement {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** A group's slots read as one text (a value split across parts is found whole). */
export function joinedText(group: TextGroup): string {
  return group.slots.map((one) => one.get()).join('');
}

/**
 * Writes replacements (sorted, not overlapping, in joined-text offsets) back into the group's
 * slots: a replacement goes into the slot where its span starts, and the rest of the span is
 * removed from the slots it runs on into.
 */
export function rewriteGroup(group: TextGroup, replacements: readonly Replacement[]): void {
  if (replacements.length === 0) return;
  let offset = 0;
  for (const one of group.slots) {
    const text = one.get();
    const from = offset;
    const to = offset + text.length;
    offset = to;
    let out = '';
    let at = from;
    for (const replacement of replacements) {
      if (replacement.end <= from || replacement.start >= to) continue;
      const start = Math.max(replacement.start, from);
      out += text.slice(at - from, start - from);
      if (replacement.start >= from) out += replacement.text;
      at = Math.min(replacement.end, to);
    }
    out += text.slice(at - from);
    if (out !== text) one.set(out);
  }
}
