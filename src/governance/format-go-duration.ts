/**
 * A duration as Go's time.Duration prints it ("12ms", "1.5s", "6m0s", "1h2m3s"), the form
 * OpenAI's x-ratelimit-reset-* headers take and clients parse (Go's time.ParseDuration, the
 * SDKs' own parsers). Whole milliseconds: finer than any client waits.
 *
 * @param milliseconds ≥ 0; rounded up to a whole millisecond, so a client never comes back early.
 */
export function formatGoDuration(milliseconds: number): string {
  const total = Math.max(0, Math.ceil(milliseconds));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = `${(total % 60_000) / 1000}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}
