/**
 * The benchmark's prompts of a given size: plain business prose with, per 4 KB, one email
 * address and one phone number (what the PII guardrails find and mask), and nothing a route
 * rule, an injection pattern or a deny list matches. Deterministic: the same size is always
 * the same text.
 */
const PROSE = 'The quarterly report covers revenue, churn and the roadmap for 2027, with version 2.4.1.9 shipped on 2026-03-01 to 1,250 customers. ';
const CONTACT = 'Contact ops@example.com or +1 415 253 2671. ';

/** `bytes` characters of prose (ASCII, so also bytes). */
export function prosePrompt(bytes: number): string {
  let text = '';
  while (text.length < bytes) {
    if (text.length % 4096 < PROSE.length) text += CONTACT;
    text += PROSE;
  }
  return text.slice(0, bytes);
}

/** The prose's words, in order, each with its trailing space: the pieces of a streamed answer. */
export function proseWords(): string[] {
  return PROSE.split(/(?<= )/);
}
