import type { TargetChoice } from '../capabilities/choose-targets.js';
import type { TargetRuntime } from '../config/runtime.js';
import type { LatencyChoiceConfiguration } from './route-schema.js';

/** What choosing the fastest candidate needs. */
export interface FastestInput {
  /** Model aliases in preference order. */
  candidates: readonly string[];
  /** Each candidate's tier (`models.<alias>.tier`); undefined: untiered. */
  tierOf: (alias: string) => number | undefined;
  minTier: number | undefined;
  /** Which of a candidate's targets can serve the request (capabilities, parameters, context window). */
  serves: (alias: string) => TargetChoice | Promise<TargetChoice>;
  /** A target's expected latency for this request in ms (LatencyTracker.score); undefined: never measured. */
  latency: (target: TargetRuntime) => number | undefined;
  /** Uniform in [0, 1). */
  random: () => number;
  settings: LatencyChoiceConfiguration;
}

/**
 * Why a candidate was chosen: `fastest` (its score is within the tolerance of the best one's),
 * `unmeasured` (no measurement yet: an unknown target is tried, so every candidate gets one),
 * `explore` (the exploration share, sent outside the fastest group so a recovered target is
 * measured again).
 */
export type FastestReason = 'fastest' | 'unmeasured' | 'explore';

/** The candidate chosen, its score in ms (undefined: unmeasured) and why; or none could serve. */
export type FastestChoice = { alias: string; latencyMs: number | undefined; reason: FastestReason } | { alias: undefined; latencyMs: undefined; reason: undefined };

const NONE: FastestChoice = { alias: undefined, latencyMs: undefined, reason: undefined };

/**
 * The fastest candidate that can serve the request, by live measurements. Candidates below
 * `minTier` and those none of whose targets can serve the request are left out, as for
 * `cheapest`; each other one is scored on the target it would try first (0 when unmeasured:
 * optimism, so it gets measured). Those within `tolerance` (or `tolerance_ms`) of the best
 * score form the fastest group and share the traffic at random: two equally fast targets are
 * not flipped between on noise. With probability `explore` a request goes to one of the others
 * instead, at random. Asynchronous only when a context window check needs the tokenizer.
 */
export function chooseFastest(input: FastestInput): FastestChoice | Promise<FastestChoice> {
  const eligible = input.candidates.filter((alias) => input.minTier === undefined || (input.tierOf(alias) ?? Number.NEGATIVE_INFINITY) >= input.minTier);
  const choices = eligible.map((alias) => input.serves(alias));
  if (choices.some((choice) => choice instanceof Promise)) return Promise.all(choices).then((resolved) => fastestOf(eligible, resolved, input));
  return fastestOf(eligible, choices as TargetChoice[], input);
}

function fastestOf(aliases: readonly string[], choices: readonly TargetChoice[], input: FastestInput): FastestChoice {
  // One score per candidate, read once: NaN cannot serve, undefined was never measured (scored 0).
  const measured = choices.map((choice) => {
    const first = choice.usable[0];
    return first === undefined ? Number.NaN : input.latency(first);
  });
  let best = Number.POSITIVE_INFINITY;
  for (const score of measured) if (!Number.isNaN(score)) best = Math.min(best, score ?? 0);
  if (best === Number.POSITIVE_INFINITY) return NONE;
  const { tolerance, tolerance_ms: toleranceMs, explore } = input.settings;
  const bound = Math.max(best * (1 + tolerance), best + toleranceMs);
  let near = 0;
  let far = 0;
  for (const score of measured) {
    if (Number.isNaN(score)) continue;
    if ((score ?? 0) <= bound) near += 1;
    else far += 1;
  }
  const exploring = far > 0 && explore > 0 && input.random() < explore;
  let pick = Math.floor(input.random() * (exploring ? far : near));
  for (let index = 0; index < aliases.length; index += 1) {
    const score = measured[index];
    if (Number.isNaN(score) || ((score ?? 0) <= bound) === exploring) continue;
    if (pick > 0) {
      pick -= 1;
      continue;
    }
    return { alias: aliases[index]!, latencyMs: score, reason: exploring ? 'explore' : score === undefined ? 'unmeasured' : 'fastest' };
  }
  return NONE;
}
