import type { TargetRuntime } from '../config/runtime.js';
import type { Usage } from '../providers/usage.js';

/** What governance and metering need to know about money, whatever the price table looks like. */
export interface Pricing {
  /** The most a request can cost on a target, or undefined when the target has no price. */
  maxCost(target: TargetRuntime, promptTokensUpperBound: number, maxOutputTokens: number | undefined): number | undefined;
  /** What the usage cost on a target, or undefined when the target has no price. */
  cost(target: TargetRuntime, usage: Usage): number | undefined;
}
