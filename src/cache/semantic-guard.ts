/**
 * The semantic cache's precision guards: cheap, exact checks on the two last user turns for
 * what sentence embeddings are known to weigh too little. Measured with all-MiniLM-L6-v2
 * (bench/results/cache-quality.md), "Give me a 3-day itinerary" and "a 7-day itinerary" score
 * 0.952, above most real paraphrases; a number or a negation changes the answer while
 * changing one token of the embedding's input. A guard can only turn a semantic hit into a
 * miss, never the reverse: the worst it does is miss a paraphrase that writes a number or a
 * negation another way ("three" / "3", "fails to" / "does not").
 */
export interface SemanticGuards {
  /** Serve a neighbour's answer only when both turns have the same numbers, in the same order (numberSignature). */
  numbers: boolean;
  /** Serve a neighbour's answer only when both turns are negated, or neither is (isNegated). */
  negation: boolean;
}

/** A run of digits (any script), with `.` or `,` between digit runs: "3", "3.5", "1,000", "2.25.3". */
const NUMBER = /\p{Nd}+(?:[.,]\p{Nd}+)*/gu;
/** A comma before exactly three digits (and no fourth) groups thousands: "1,000", "12,500,000". */
const THOUSANDS_COMMA = /,(?=\p{Nd}{3}(?!\p{Nd}))/gu;

/**
 * The numbers of a text, in order, normalised so that only forms that certainly mean the same
 * number are equal: thousands commas dropped ("1,000" = "1000"), leading zeros of a digit run
 * dropped ("05" = "5", "2026-01-05" = "2026-1-5"). Anything else stays as written: "3.5" and
 * "3.50" differ (a version "3.10" is not "3.1"), and a comma that does not group three digits
 * separates two numbers ("1,5" is 1 then 5). Space-separated; "" when the text has none.
 * Order counts: "from 3 to 5" and "from 5 to 3" differ.
 */
export function numberSignature(text: string): string {
  const numbers: string[] = [];
  for (const [written] of text.matchAll(NUMBER)) {
    for (const number of written.replace(THOUSANDS_COMMA, '').split(',')) {
      numbers.push(
        number
          .split('.')
          .map((run, index) => (index === 0 ? run.replace(/^0+(?=\p{Nd})/u, '') : run))
          .join('.'),
      );
    }
  }
  return numbers.join(' ');
}

/**
 * Negation cues (words that negate a clause or a noun phrase, as annotated in negation corpora
 * such as SFU Review and ConanDoyle-neg), plus the contracted "n't" in either apostrophe.
 */
const NEGATION = /\b(?:not|no|never|none|nothing|nobody|nowhere|neither|nor|cannot|without)\b|\p{L}n['\u2019]t\b/iu;

/** Whether the text holds a negation cue ("not", "never", "no", "without", "don't"...); see NEGATION. */
export function isNegated(text: string): boolean {
  return NEGATION.test(text);
}

/**
 * What the enabled guards make of a last user turn, folded into the semantic partition key:
 * two turns whose guard signatures differ are in different partitions and never compared.
 * Computed once per request (lookup and fill share it) and kept with each entry through its
 * partition key, which the Redis stream and the SQLite journal already carry.
 * "" when no guard is on (the partition key is then what it was without guards).
 */
export function guardSignature(text: string, guards: SemanticGuards): string {
  const parts: string[] = [];
  if (guards.numbers) parts.push(`numbers:${numberSignature(text)}`);
  if (guards.negation) parts.push(`negated:${isNegated(text)}`);
  return parts.join('\n');
}
