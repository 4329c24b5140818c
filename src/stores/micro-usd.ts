/**
 * Money is counted in integer micro-dollars: Redis adds integers exactly (INCRBY), while
 * adding float dollars drifts (0.1 + 0.2 !== 0.3) and would move a budget's boundary.
 * Both stores convert with these two functions so they agree to the micro-dollar.
 */
export function toMicroUsd(usd: number): number {
  return Math.round(usd * 1_000_000);
}

export function fromMicroUsd(microUsd: number): number {
  return microUsd / 1_000_000;
}
