import type { IssueTarget } from './issue17-targets.js';
import { PEER_STREAM_CONCURRENCY, type ContenderId, type PeerMeasurement, type PeersReport } from './peers.js';

/** latest.md's side-by-side table (the peers group) and the Issue 17 targets table, from the report alone. */
export function peersSections(report: { peers?: PeersReport; issue17Targets?: IssueTarget[] }): string[] {
  const out: string[] = [];
  const peers = report.peers;
  if (peers) {
    const { streamProfile, jsonProfile } = peers.settings;
    const f = peers.figures;
    // Columns as in issue 17's table; "a / b" is the OpenAI API / the Anthropic one (Portkey translating, for b).
    const columns: { heading: string; contenders: ContenderId[] }[] = [
      { heading: 'mock direct', contenders: ['mock-openai', 'mock-anthropic'] },
      { heading: 'Envoy alone', contenders: ['envoy-openai', 'envoy-anthropic'] },
      { heading: 'ours, OpenAI pass-through', contenders: ['ours-openai'] },
      { heading: 'ours, Anthropic translation', contenders: ['ours-anthropic'] },
      { heading: `Portkey ${peers.portkeyVersion}`, contenders: ['portkey-openai', 'portkey-anthropic'] },
    ];
    const cell = (contenders: ContenderId[], show: (contender: ContenderId) => string | undefined) => {
      const values = contenders.map(show);
      return values.every((value) => value === undefined) ? '–' : values.map((value) => value ?? '–').join(' / ');
    };
    const figure = (name: string, unit = '') => (contender: ContenderId) => (f[`${contender}.${name}`] === undefined ? undefined : `${f[`${contender}.${name}`]}${unit}`);
    const cpu = (scenario: PeerMeasurement['scenario']) => (contender: ContenderId) => {
      const measurement = peers.measurements.find((entry) => entry.scenario === scenario && entry.contender === contender);
      const parts = Object.entries(measurement?.cpuMicros ?? {});
      if (parts.length === 0) return undefined;
      const total = Math.round(parts.reduce((sum, [, value]) => sum + value, 0));
      return parts.length === 1 ? `${total}` : `${total} (${parts.map(([name, value]) => `${name} ${Math.round(value)}`).join(' + ')})`;
    };
    const rss = (contender: ContenderId) => {
      const processes = Object.entries(peers.rssMiB[contender] ?? {});
      if (processes.length === 0) return undefined;
      const total = Math.round(processes.reduce((sum, [, value]) => sum + value, 0));
      return processes.length === 1 ? `${total}` : `${total} (${processes.map(([name, value]) => `${name} ${Math.round(value)}`).join(' + ')})`;
    };
    const rows: [string, (contender: ContenderId) => string | undefined][] = [
      ['latency p50 at 200 req/s, ms', figure('p50_ms_200rps')],
      ['latency p99 at 200 req/s, ms', figure('p99_ms_200rps')],
      ['latency p50 at 500 req/s, ms', figure('p50_ms_500rps')],
      ['latency p99 at 500 req/s, ms', figure('p99_ms_500rps')],
      ['max req/s (32 connections)', figure('max_rps')],
      ['CPU per request at max, µs', cpu('json-max')],
      ['CPU per request at 200 req/s, µs', cpu('json-200rps')],
      ['memory (RSS) after the runs, MiB', rss],
      [`time to first token p50, ${PEER_STREAM_CONCURRENCY} streams, ms`, figure('ttft_p50_ms')],
      ['stream total p50, ms', figure('total_p50_ms')],
      ['chunk transit p50, ms', figure('transit_p50_ms')],
      ['CPU per stream, µs', cpu('sse-64')],
      ['failed requests and streams (all runs)', figure('failed')],
    ];
    const noise = peers.measurements.map((entry) => entry.noise);
    out.push(
      '',
      '## Side by side: Envoy alone, the gateway, Portkey (issue 17)',
      '',
      `One machine, one mock (${jsonProfile.responseBytes}-character JSON answers; streams of ${streamProfile.chunks} chunks ${streamProfile.interChunkMs} ms apart), one load generator. Per contender and scenario ${peers.settings.rounds} round(s) of ${peers.settings.warmupSeconds} s warm-up + ${peers.settings.seconds} s measured, the contenders' order reversed every other round; samples merged. "a / b": the OpenAI API / the Anthropic one (mock and Envoy alone: the request the gateway sends that provider; Portkey: translating to Anthropic). CPU: user + system time of the contender's own processes (ours: Envoy + sidecar) from /proc during the measured phase. Run conditions: steal up to ${Math.max(0, ...noise.map((entry) => entry.stealPercent))} %, other processes up to ${Math.max(0, ...noise.map((entry) => entry.otherProcessesPercent))} % of all cores.`,
      '',
      `| | ${columns.map((column) => column.heading).join(' | ')} |`,
      `|---|${columns.map(() => '--:').join('|')}|`,
      ...rows.map(([label, show]) => `| ${label} | ${columns.map((column) => cell(column.contenders, show)).join(' | ')} |`),
    );
  }
  const targets = report.issue17Targets;
  if (targets && targets.length > 0) {
    out.push(
      '',
      '## Issue 17 targets',
      '',
      'Added latency is over the mock answered directly (same provider API), per chunk and time to first token over Envoy alone; Portkey is measured the same way in the same run. Memory: the memory group of the same run; workers: `make bench-workers`.',
      '',
      '| target | limit | measured | met |',
      '|---|---|---:|:---:|',
      ...targets.map((target) => `| ${target.name} | ${target.limit} | ${target.measured} | ${target.met === undefined ? '–' : target.met ? 'yes' : '**no**'} |`),
    );
  }
  return out;
}
