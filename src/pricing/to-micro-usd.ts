/**
 * USD as whole micro-dollars, the unit spend is counted in: integers add exactly, while
 * adding float dollars drifts (0.1 + 0.2 !== 0.3). Convert once, at the end, never per bucket.
 * Agrees with src/stores/micro-usd.ts.
 */
export function toMicroUsd(usd: number): number {
  return Math.round(usd * 1_000_000);
}
