/**
 * Reads one series from Prometheus text exposition: the value of the line named `name`
 * whose labels include all of `labels`, or 0 when no such series exists yet (a counter that
 * was never incremented is absent, which is the same as zero for a test taking differences).
 */
export function seriesValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!(line.startsWith(`${name}{`) || line.startsWith(`${name} `))) continue;
    if (wanted.every((label) => line.includes(label))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
