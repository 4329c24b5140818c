import type { Guardrail } from './guardrail-policies.js';
import { StreamRestorer, type PlaceholderVault } from './placeholder-vault.js';

/** A deny-list match in an answer: which guardrail and detector; never the text. */
export interface OutputViolation {
  guardrail: string;
  detector: string;
  /** block: the answer is cut; log: it goes on. */
  action: 'block' | 'log';
}

type DenyList = Extract<Guardrail, { kind: 'deny_list' }>;

/** What nearly every piece of text yields, shared so the per-chunk path allocates no list. */
const NO_VIOLATIONS: readonly OutputViolation[] = Object.freeze([]);

/**
 * The text of one answer (one choice, or one content block), checked as it arrives:
 * placeholders restored (held back while a `<...` tail is undecided) and deny lists applied
 * to the restored text in a sliding window, so a match split across chunks is found. A
 * logged match is reported once.
 */
export class AnswerTextChecker {
  readonly #restorer: StreamRestorer | undefined;
  readonly #denyLists: readonly DenyList[];
  readonly #window: number;
  readonly #holdBack: number;
  #recent = '';
  /** Checked text not delivered yet (the hold-back). */
  #pending = '';
  readonly #logged = new Set<string>();

  constructor(vault: PlaceholderVault | undefined, denyLists: readonly DenyList[]) {
    this.#restorer = vault !== undefined && vault.size > 0 ? new StreamRestorer(vault) : undefined;
    this.#denyLists = denyLists;
    this.#holdBack = Math.max(0, ...denyLists.map((list) => list.holdBack));
    this.#window = Math.max(this.#holdBack, ...denyLists.map((list) => list.window));
  }

  /** The text to deliver for `piece`, and a violation found in it (with the text before it). */
  push(piece: string): { text: string; violations: readonly OutputViolation[] } {
    const text = this.#restorer === undefined ? piece : this.#restorer.push(piece);
    return this.#deliver(text, false);
  }

  /** What is still held back, checked. */
  end(): { text: string; violations: readonly OutputViolation[] } {
    return this.#deliver(this.#restorer?.end() ?? '', true);
  }

  /** Checks `text`; delivers what the hold-back lets go (nothing more once a block is found). */
  #deliver(text: string, last: boolean): { text: string; violations: readonly OutputViolation[] } {
    const violations = this.#check(text);
    if (this.#holdBack === 0) return { text, violations };
    const pending = this.#pending + text;
    if (violations.some((violation) => violation.action === 'block')) {
      this.#pending = '';
      return { text: '', violations };
    }
    const cut = last ? pending.length : Math.max(0, pending.length - this.#holdBack);
    this.#pending = pending.slice(cut);
    return { text: pending.slice(0, cut), violations };
  }

  #check(text: string): readonly OutputViolation[] {
    if (this.#denyLists.length === 0 || text.length === 0) return NO_VIOLATIONS;
    const seen = this.#recent.length;
    const window = this.#recent + text;
    this.#recent = window.slice(-this.#window);
    let violations: OutputViolation[] | undefined;
    for (const list of this.#denyLists) {
      // Only a match that reaches into the new text is new; older ones were judged already.
      const finding = list.scan(window).find((one) => one.end > seen);
      if (finding === undefined) continue;
      if (list.action === 'log') {
        const key = `${list.name}/${finding.detector}`;
        if (this.#logged.has(key)) continue;
        this.#logged.add(key);
      }
      violations ??= [];
      violations.push({ guardrail: list.name, detector: finding.detector, action: list.action });
    }
    return violations ?? NO_VIOLATIONS;
  }
}
