import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { compareReports } from '../../bench/compare.js';
import { evaluateIssue17Targets, readWorkersFile, type IssueTarget } from '../../bench/issue17-targets.js';
import type { LatencySummary, RequestRunResult, StreamRunResult } from '../../bench/load.js';
import { peerFigures, type PeerMeasurement, type PeersReport } from '../../bench/peers.js';
import { peersSections } from '../../bench/report-peers.js';
import type { BenchReport } from '../../bench/run.js';
import type { StreamsMemoryReport } from '../../bench/streams-memory.js';

/**
 * The peers group's arithmetic, without Portkey (which only `make bench` installs, so the
 * smoke run in `make test` skips the group): the figures taken from measurements, each issue
 * 17 target's verdict against its limit, the report's tables and the before/after comparison.
 */
const latency = (p50: number, p99: number): LatencySummary => ({ count: 100, mean: p50, min: p50 / 2, p50, p90: (p50 + p99) / 2, p99, max: p99 * 2 });
const noise = { stealPercent: 1, otherProcessesPercent: 2 };

function paced(p50: number, p99: number, rps: number): RequestRunResult {
  return { kind: 'paced', ok: 100, non2xx: 0, errors: 0, seconds: 1, throughputRps: rps, latencyMs: latency(p50, p99) };
}

function stream(firstToken: number, total: number, transit: number, errors = 0): StreamRunResult {
  return { kind: 'stream', ok: 64, errors, seconds: 1, streamsPerSecond: 64, chunksPerStream: 50, firstByteMs: latency(firstToken, firstToken), firstTokenMs: latency(firstToken, firstToken * 2), totalMs: latency(total, total), chunkTransitMs: latency(transit, transit) };
}

/** Figures where ours meets every target for pass-through, and misses each one for translation. */
function figures(): Record<string, number> {
  return {
    // 200 req/s: mock 0.4 ms; pass-through adds 0.6 (Portkey 1.0: 0.6 ×, met at the limit); translation adds 0.7 (not met).
    'mock-openai.p50_ms_200rps': 0.4,
    'ours-openai.p50_ms_200rps': 1.0,
    'portkey-openai.p50_ms_200rps': 1.4,
    'mock-anthropic.p50_ms_200rps': 0.4,
    'ours-anthropic.p50_ms_200rps': 1.1,
    'portkey-anthropic.p50_ms_200rps': 1.4,
    'mock-openai.p99_ms_200rps': 1,
    'ours-openai.p99_ms_200rps': 3,
    'portkey-openai.p99_ms_200rps': 5,
    'mock-anthropic.p99_ms_200rps': 1,
    'ours-anthropic.p99_ms_200rps': 4,
    'portkey-anthropic.p99_ms_200rps': 5,
    'mock-openai.p99_ms_500rps': 1,
    'ours-openai.p99_ms_500rps': 2,
    'portkey-openai.p99_ms_500rps': 11,
    'mock-anthropic.p99_ms_500rps': 1,
    'ours-anthropic.p99_ms_500rps': 8,
    'portkey-anthropic.p99_ms_500rps': 11,
    'ours-openai.cpu_us_200rps': 700,
    'portkey-openai.cpu_us_200rps': 1000,
    'ours-anthropic.cpu_us_200rps': 701,
    'portkey-anthropic.cpu_us_200rps': 1000,
    'ours-openai.cpu_us_max': 300,
    'portkey-openai.cpu_us_max': 1000,
    'ours-anthropic.cpu_us_max': 301,
    'portkey-anthropic.cpu_us_max': 1000,
    'envoy-openai.max_rps': 20_000,
    'ours-openai.max_rps': 6000,
    'portkey-openai.max_rps': 1200,
    'envoy-anthropic.max_rps': 20_000,
    'ours-anthropic.max_rps': 5999,
    'portkey-anthropic.max_rps': 1000,
    // Streams of 50 chunks: pass-through adds 2.5 ms in total (50 µs a chunk) and 1 ms to the first token; translation 2.55 ms and 1.2 ms.
    'envoy-openai.total_p50_ms': 100,
    'ours-openai.total_p50_ms': 102.5,
    'ours-openai.chunks_per_stream': 50,
    'envoy-openai.transit_p50_ms': 0.2,
    'ours-openai.transit_p50_ms': 0.25,
    'envoy-openai.ttft_p50_ms': 3,
    'ours-openai.ttft_p50_ms': 4,
    'envoy-anthropic.total_p50_ms': 100,
    'ours-anthropic.total_p50_ms': 102.55,
    'ours-anthropic.chunks_per_stream': 50,
    'envoy-anthropic.transit_p50_ms': 0.2,
    'ours-anthropic.transit_p50_ms': 0.26,
    'envoy-anthropic.ttft_p50_ms': 3,
    'ours-anthropic.ttft_p50_ms': 4.2,
  };
}

const memory = { streams: 1000, targetMiB: 150, idleRssMiB: 140, openRssMiB: 170, readingsWhileOpen: 8, idleMet: true, openMet: false } as StreamsMemoryReport;

function byName(targets: IssueTarget[], name: string): IssueTarget {
  const target = targets.find((entry) => entry.name === name);
  assert.ok(target, `a target named "${name}" in ${targets.map((entry) => entry.name).join('; ')}`);
  return target;
}

const directory = mkdtempSync(join(tmpdir(), 'llm-gateway-issue17-'));

describe('issue 17 targets', () => {
  after(() => rmSync(directory, { recursive: true, force: true }));

  test('each target compares ours with Portkey, Envoy alone or its limit, and says whether it is met', () => {
    const targets = evaluateIssue17Targets(figures(), memory, { date: '2026-11-30T10:00:00.000Z', results: [{ workers: 1, throughputRps: 3000, cpuPerRequestMicros: 340, envoyCpuPerRequestMicros: 160, sidecarCpuPerRequestMicros: 180 }, { workers: 2, throughputRps: 3100, cpuPerRequestMicros: 360, envoyCpuPerRequestMicros: 160, sidecarCpuPerRequestMicros: 200 }] });
    const expected: [string, boolean][] = [
      ['pass-through: p50 added over mock direct at 200 req/s', true],
      ['translation: p50 added over mock direct at 200 req/s', false],
      ['pass-through: p99 added over mock direct at 200 req/s', true],
      ['translation: p99 added over mock direct at 200 req/s', false],
      ['pass-through: p99 added over mock direct at 500 req/s', true],
      ['translation: p99 added over mock direct at 500 req/s', false],
      ['pass-through: CPU per request, Envoy + sidecar, at 200 req/s', true],
      ['translation: CPU per request, Envoy + sidecar, at 200 req/s', false],
      ['pass-through: CPU per request, Envoy + sidecar, at maximum throughput', true],
      ['translation: CPU per request, Envoy + sidecar, at maximum throughput', false],
      ['pass-through: maximum throughput against Portkey\'s', true],
      ['translation: maximum throughput against Portkey\'s', true],
      ['pass-through: maximum throughput against Envoy alone', true],
      ['translation: maximum throughput against Envoy alone', false],
      ['pass-through: added per chunk over Envoy alone, (total − Envoy\'s total) / chunks', true],
      ['translation: added per chunk over Envoy alone, (total − Envoy\'s total) / chunks', false],
      ['pass-through: added per chunk over Envoy alone, chunk transit p50 (each chunk\'s own delay)', true],
      ['translation: added per chunk over Envoy alone, chunk transit p50 (each chunk\'s own delay)', false],
      ['pass-through: added time to first token over Envoy alone, 64 concurrent streams (p50)', true],
      ['translation: added time to first token over Envoy alone, 64 concurrent streams (p50)', false],
      ['sidecar RSS at rest', true],
      ['sidecar RSS with 1,000 concurrent streams open', false],
      ['sidecar workers 1 and 2: max throughput and CPU per request (Envoy + sidecar), reported', true],
    ];
    assert.equal(targets.length, expected.length, 'one row per target and client path');
    for (const [name, met] of expected) assert.equal(byName(targets, name).met, met, name);
    assert.equal(byName(targets, 'pass-through: p50 added over mock direct at 200 req/s').measured, '0.6 ms vs 1 ms (0.6×)');
    assert.equal(byName(targets, 'translation: maximum throughput against Envoy alone').measured, '5999 vs 20000 req/s (30 %)');
    assert.equal(byName(targets, 'pass-through: added per chunk over Envoy alone, (total − Envoy\'s total) / chunks').measured, '50 µs');
    assert.match(byName(targets, 'sidecar workers 1 and 2: max throughput and CPU per request (Envoy + sidecar), reported').measured, /^1: 3000 req\/s, 340 µs; 2: 3100 req\/s, 360 µs \(bench\/results\/workers\.json, 2026-11-30\)$/);
  });

  test('a Portkey figure at or below zero still gives a verdict, without a ratio', () => {
    const f = { ...figures(), 'portkey-openai.p50_ms_200rps': 0.3 };
    const target = byName(evaluateIssue17Targets(f), 'pass-through: p50 added over mock direct at 200 req/s');
    assert.equal(target.met, false);
    assert.match(target.measured, /no ratio/);
  });

  test('what did not run says so, with no verdict', () => {
    const targets = evaluateIssue17Targets(undefined);
    assert.ok(targets.length > 0);
    for (const target of targets) {
      assert.equal(target.met, undefined, target.name);
      assert.match(target.measured, /^not run/, target.name);
    }
  });

  test('workers.json: its date, or its modification time when it has none; nothing when missing', () => {
    const results = [{ workers: 1, throughputRps: 1, cpuPerRequestMicros: 1, envoyCpuPerRequestMicros: 1, sidecarCpuPerRequestMicros: 1 }];
    const dated = join(directory, 'dated.json');
    writeFileSync(dated, JSON.stringify({ date: '2026-11-29T08:00:00.000Z', results }));
    assert.equal(readWorkersFile(dated)?.date, '2026-11-29T08:00:00.000Z');
    const undated = join(directory, 'undated.json');
    writeFileSync(undated, JSON.stringify({ results }));
    utimesSync(undated, new Date('2026-11-28T07:00:00Z'), new Date('2026-11-28T07:00:00Z'));
    assert.equal(readWorkersFile(undated)?.date, '2026-11-28T07:00:00.000Z');
    assert.equal(readWorkersFile(join(directory, 'missing.json')), undefined);
    // One worker count only: the row says it did not run.
    assert.match(byName(evaluateIssue17Targets(figures(), undefined, readWorkersFile(dated)), 'sidecar workers 1 and 2: max throughput and CPU per request (Envoy + sidecar), reported').measured, /^not run/);
  });
});

describe('peers figures, report and comparison', () => {
  const measurements: PeerMeasurement[] = [
    { scenario: 'json-200rps', contender: 'mock-openai', load: paced(0.4, 1, 200), cpuMicros: {}, noise },
    { scenario: 'json-200rps', contender: 'ours-openai', load: paced(1.2, 3, 199), cpuMicros: { envoy: 800, sidecar: 1000.4 }, noise },
    { scenario: 'json-max', contender: 'ours-openai', load: { ...paced(9, 30, 3629.4), kind: 'max', non2xx: 2, errors: 1 }, cpuMicros: { envoy: 162, sidecar: 201 }, noise },
    { scenario: 'sse-64', contender: 'ours-openai', load: stream(4, 110, 0.3, 1), cpuMicros: { envoy: 900, sidecar: 1100 }, noise: { stealPercent: 12, otherProcessesPercent: 30 } },
  ];
  const rss = { 'ours-openai': { envoy: 80, sidecar: 190.5 }, 'portkey-openai': { portkey: 120 } };

  test('peerFigures: latency per rate, throughput, CPU summed over the contender\'s processes, streams, failures, RSS', () => {
    const f = peerFigures(measurements, rss, 50);
    assert.equal(f['ours-openai.p50_ms_200rps'], 1.2);
    assert.equal(f['ours-openai.p99_ms_200rps'], 3);
    assert.equal(f['ours-openai.cpu_us_200rps'], 1800);
    assert.equal(f['ours-openai.max_rps'], 3629);
    assert.equal(f['ours-openai.cpu_us_max'], 363);
    assert.equal(f['ours-openai.ttft_p50_ms'], 4);
    assert.equal(f['ours-openai.total_p50_ms'], 110);
    assert.equal(f['ours-openai.chunks_per_stream'], 50);
    assert.equal(f['ours-openai.cpu_us_per_stream'], 2000);
    assert.equal(f['ours-openai.failed'], 4, 'non-2xx, errors and failed streams');
    assert.equal(f['ours-openai.rss_mib'], 270.5);
    assert.equal(f['ours-openai.sidecar_rss_mib'], 190.5);
    assert.equal(f['portkey-openai.rss_mib'], 120);
    assert.equal(f['mock-openai.p50_ms_200rps'], 0.4);
    assert.equal(f['mock-openai.cpu_us_200rps'], undefined, 'the mock has no CPU of its own to count');
  });

  const peers: PeersReport = {
    portkeyVersion: '1.15.2',
    settings: { rounds: 2, warmupSeconds: 1, seconds: 3.5, jsonProfile: { latencyMs: 0, responseBytes: 1024, chunks: 20, chunkBytes: 24, interChunkMs: 2 }, streamProfile: { latencyMs: 0, responseBytes: 1024, chunks: 50, chunkBytes: 24, interChunkMs: 2 } },
    measurements,
    rssMiB: rss,
    figures: peerFigures(measurements, rss, 50),
  };

  test('latest.md: the side-by-side table and every target with its verdict', () => {
    const targets = evaluateIssue17Targets(figures(), memory);
    const markdown = peersSections({ peers, issue17Targets: targets }).join('\n');
    assert.match(markdown, /## Side by side: Envoy alone, the gateway, Portkey \(issue 17\)/);
    assert.match(markdown, /\| CPU per request at max, µs \| – \| – \| 363 \(envoy 162 \+ sidecar 201\) \| – \| – \|/);
    assert.match(markdown, /\| memory \(RSS\) after the runs, MiB \| – \| – \| 271 \(envoy 80 \+ sidecar 191\) \| – \| 120 \/ – \|/);
    assert.match(markdown, /steal up to 12 %, other processes up to 30 %/);
    assert.match(markdown, /## Issue 17 targets/);
    for (const target of targets) assert.ok(markdown.includes(`| ${target.name} | ${target.limit} | ${target.measured} | ${target.met === undefined ? '–' : target.met ? 'yes' : '**no**'} |`), target.name);
    assert.deepEqual(peersSections({}), [], 'nothing when the peers group did not run');
  });

  test('compare.js: issue 17 targets and side-by-side figures, before and after', () => {
    const report = (extra: Partial<BenchReport>) => ({ date: '2026-11-30', machine: { cpuModel: 'cpu', cores: 2 }, summary: {}, ...extra }) as BenchReport;
    const before = report({});
    const after = report({ peers, issue17Targets: evaluateIssue17Targets(figures()) });
    const markdown = compareReports(before, after);
    assert.match(markdown, /\| pass-through: p50 added over mock direct at 200 req\/s \| <= 0\.6 × Portkey's \| - \| 0\.6 ms vs 1 ms \(0\.6×\) \(met\) \|/);
    assert.match(markdown, /\| translation: p50 added over mock direct at 200 req\/s \| <= 0\.6 × Portkey's \| - \| .* \(\*\*not met\*\*\) \|/);
    assert.match(markdown, /\| ours-openai\.max_rps \| - \| 3629 \|/);
    assert.doesNotMatch(compareReports(before, before), /Issue 17/, 'no issue 17 section when neither run had the peers group');
  });
});
