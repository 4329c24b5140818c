import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { BenchReport } from './run.js';

/**
 * Before and after: two `make bench` reports (latest.json) side by side, headline figures
 * only. Both must come from the same machine, or the comparison says so at the top.
 *
 *   node dist/bench/compare.js BEFORE.json AFTER.json [--out FILE.md] [--label-before TEXT] [--label-after TEXT]
 */

/** Headline figures: summary key, label, unit; lower is better for all but throughput. */
const ROWS: [key: string, label: string, unit: 'ms' | 'µs' | 'req/s' | 'MiB' | ''][] = [
  ['added_p50_ms_at_100rps', 'added p50 at 100 req/s', 'ms'],
  ['added_p99_ms_at_100rps', 'added p99 at 100 req/s', 'ms'],
  ['added_p50_ms_at_500rps', 'added p50 at 500 req/s', 'ms'],
  ['added_p90_ms_at_500rps', 'added p90 at 500 req/s', 'ms'],
  ['added_p99_ms_at_500rps', 'added p99 at 500 req/s', 'ms'],
  ['max_rps_gateway', 'max throughput, gateway', 'req/s'],
  ['max_rps_baseline', 'max throughput, Envoy alone', 'req/s'],
  ['added_first_token_p50_ms', 'added time to first token, p50', 'ms'],
  ['added_per_chunk_ms', 'added per chunk, (total_gw - total_base) / chunks', 'ms'],
  ['added_chunk_transit_p50_ms', 'added transit per chunk, p50', 'ms'],
  ['sidecar_cpu_us_per_request_500rps', 'sidecar CPU per request at 500 req/s', 'µs'],
  ['sidecar_cpu_us_per_request_max', 'sidecar CPU per request at max throughput', 'µs'],
  ['sidecar_cpu_us_per_chunk', 'sidecar CPU per extra chunk', 'µs'],
  ['envoy_cpu_us_per_request_gateway_500rps', 'gateway Envoy CPU per request at 500 req/s', 'µs'],
  ['sidecar_rss_mib', 'sidecar RSS', 'MiB'],
  ['failed_requests_gateway', 'failed requests (all runs)', ''],
  ['sidecar_connections_lost', 'sidecar connections lost', ''],
];

export function compareReports(before: BenchReport, after: BenchReport, labels = { before: 'before', after: 'after' }): string {
  const lines = [
    `# Before and after: ${labels.before} -> ${labels.after}`,
    '',
    `Before: \`make bench\` on ${before.date} (${before.machine.cpuModel}, ${before.machine.cores} cores). After: ${after.date} (${after.machine.cpuModel}, ${after.machine.cores} cores).`,
  ];
  if (before.machine.cpuModel !== after.machine.cpuModel || before.machine.cores !== after.machine.cores) {
    lines.push('', '**The two runs come from different machines: the differences are not only the code\'s.**');
  }
  lines.push('', '| figure | OpenAI before | OpenAI after | Anthropic before | Anthropic after |', '|---|---:|---:|---:|---:|');
  for (const [key, label, unit] of ROWS) {
    const cell = (report: BenchReport, api: 'openai' | 'anthropic') => {
      const value = report.summary[api]?.[key];
      return value === undefined ? '-' : `${value}${unit ? ` ${unit}` : ''}`;
    };
    lines.push(`| ${label} | ${cell(before, 'openai')} | ${cell(after, 'openai')} | ${cell(before, 'anthropic')} | ${cell(after, 'anthropic')} |`);
  }
  lines.push(...issue17Comparison(before, after));
  return `${lines.join('\n')}\n`;
}

/**
 * Issue 17 (the peers group): every target, measured and met, before and after (matched by
 * name), then every side-by-side figure (`contender.figure`, bench/peers.ts). Empty when
 * neither run had the peers group.
 */
function issue17Comparison(before: BenchReport, after: BenchReport): string[] {
  if (before.peers === undefined && after.peers === undefined) return [];
  const verdict = (target: { measured: string; met?: boolean } | undefined) => (target === undefined ? '-' : `${target.measured}${target.met === undefined ? '' : target.met ? ' (met)' : ' (**not met**)'}`);
  const out = ['', '## Issue 17 targets', '', '| target | limit | before | after |', '|---|---|---:|---:|'];
  const names = [...new Set([...(after.issue17Targets ?? []), ...(before.issue17Targets ?? [])].map((target) => target.name))];
  for (const name of names) {
    const [was, now] = [before.issue17Targets?.find((target) => target.name === name), after.issue17Targets?.find((target) => target.name === name)];
    out.push(`| ${name} | ${(now ?? was)!.limit} | ${verdict(was)} | ${verdict(now)} |`);
  }
  out.push('', `## Side by side with Portkey (ms, µs, req/s, MiB as named)`, '', '| figure | before | after |', '|---|---:|---:|');
  const [was, now] = [before.peers?.figures ?? {}, after.peers?.figures ?? {}];
  for (const key of [...new Set([...Object.keys(now), ...Object.keys(was)])].sort()) out.push(`| ${key} | ${was[key] ?? '-'} | ${now[key] ?? '-'} |`);
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const option = (name: string) => {
    const at = argv.indexOf(name);
    return at === -1 ? undefined : argv.splice(at, 2)[1];
  };
  const out = option('--out');
  const labels = { before: option('--label-before') ?? 'before', after: option('--label-after') ?? 'after' };
  const [beforePath, afterPath] = argv;
  if (!beforePath || !afterPath) {
    process.stderr.write('usage: node dist/bench/compare.js BEFORE.json AFTER.json [--out FILE.md] [--label-before TEXT] [--label-after TEXT]\n');
    process.exit(2);
  }
  const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
  const markdown = compareReports(read(beforePath), read(afterPath), labels);
  if (out) writeFileSync(out, markdown);
  else process.stdout.write(markdown);
}
