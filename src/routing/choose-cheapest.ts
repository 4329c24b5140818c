import type { TargetChoice } from '../capabilities/choose-targets.js';
import type { TargetRuntime } from '../config/runtime.js';

/** What choosing the cheapest candidate needs. */
export interface CheapestInput {
  /** Model aliases in preference order (ties go to the earlier). */
  candidates: readonly string[];
  /** Each candidate's tier (`models.<alias>.tier`); undefined: untiered. */
  tierOf: (alias: string) => number | undefined;
  minTier: number | undefined;
  /** Which of a candidate's targets can serve the request (chooseRoute: capabilities, parameters, context window). */
  serves: (alias: string) => TargetChoice | Promise<TargetChoice>;
  /** The most the request can cost on a target, in USD (Pricing.maxCost); undefined when it has no price. */
  cost: (target: TargetRuntime) => number | undefined;
}

/** The candidate chosen, with its estimated cost (undefined: unpriced), or why none was. */
export type CheapestChoice = { alias: string; costUsd: number | undefined } | { alias: undefined; costUsd: undefined };

/**
 * The cheapest candidate that can serve the request: candidates below `minTier` (or untiered,
 * when a floor is set) are left out, then those whose targets all cannot serve it (a missing
 * capability, a parameter, a context window too small). Each remaining candidate is priced on
 * the target that would be tried first, at the request's upper bound (prompt tokens bounded by
 * bytes, output by max_tokens or the route's expected output): the same bound governance
 * reserves, so the comparison is between like figures. Unpriced candidates rank after every
 * priced one. Asynchronous only when a context window check needs the tokenizer.
 */
export function chooseCheapest(input: CheapestInput): CheapestChoice | Promise<CheapestChoice> {
  const eligible = input.candidates.filter((alias) => input.minTier === undefined || (input.tierOf(alias) ?? Number.NEGATIVE_INFINITY) >= input.minTier);
  const choices = eligible.map((alias) => input.serves(alias));
  if (choices.some((choice) => choice instanceof Promise)) return Promise.all(choices).then((resolved) => cheapestOf(eligible, resolved, input));
  return cheapestOf(eligible, choices as TargetChoice[], input);
}

function cheapestOf(aliases: readonly string[], choices: readonly TargetChoice[], input: CheapestInput): CheapestChoice {
  let best: { alias: string; costUsd: number | undefined } | undefined;
  aliases.forEach((alias, index) => {
    const first = choices[index]!.usable[0];
    if (first === undefined) return;
    const costUsd = input.cost(first);
    if (best === undefined || (costUsd !== undefined && (best.costUsd === undefined || costUsd < best.costUsd))) best = { alias, costUsd };
  });
  return best ?? { alias: undefined, costUsd: undefined };
}
