/**
 * Milliseconds in a configuration duration ("250ms", "30s", "5m", "1h": the forms the
 * schema accepts). Throws for anything else, which the schema has already refused.
 */
export function durationMilliseconds(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value);
  if (!match) throw new Error(`not a duration: ${value}`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * factor;
}
