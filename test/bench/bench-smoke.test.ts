import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BENCH_GROUPS, positiveNumber, SCENARIO_IDS, selectedGroups, type BenchReport } from '../../bench/run.js';
import { IN_FLIGHT_GAUGES } from '../../bench/sidecar-gauges.js';
import { SOAK_CYCLE } from '../../bench/soak-traffic.js';
import { PACKAGE_ROOT } from '../support/gateway-harness.js';

/**
 * `make bench` in miniature: the whole benchmark (mock provider, Envoy alone, the gateway,
 * every scenario, the profiled sidecar, the cache, guardrail and routing comparisons, the
 * in-process figures, 1,000 concurrent streams and a short soak) runs with a few thousand
 * requests and must write a well-formed report
 * naming every scenario and figure. The peers group (Portkey side by side) is not part of it:
 * it needs Portkey, which only `make bench` installs (test/bench/issue17-targets.test.ts
 * covers its figures, targets and report). No timing is asserted: this machine's speed is
 * not the subject, only that the benchmark still runs and says what it measured.
 */
const outDir = mkdtempSync(join(tmpdir(), 'llm-gateway-bench-smoke-'));

function runSmoke(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist/bench/run.js'), '--smoke', '--out', outDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function assertLatency(summary: unknown, where: string): void {
  const latency = summary as Record<string, unknown>;
  for (const field of ['count', 'mean', 'min', 'p50', 'p90', 'p99', 'max']) assert.ok(isNumber(latency[field]), `${where}.${field} is a number`);
  assert.ok((latency.count as number) > 0, `${where} has samples`);
  assert.ok((latency.p50 as number) <= (latency.p99 as number), `${where}: p50 <= p99`);
}

describe('make bench, smoke mode', { timeout: 420_000 }, () => {
  after(() => rmSync(outDir, { recursive: true, force: true }));

  test('runs end to end and writes a complete report', async () => {
    const { code, output } = await runSmoke();
    assert.equal(code, 0, `bench exited with ${code}:\n${output.slice(-4000)}`);

    const report = JSON.parse(readFileSync(join(outDir, 'latest.json'), 'utf8')) as BenchReport;
    assert.equal(report.schema, 'llm-gateway-bench/1');
    assert.equal(report.mode, 'smoke');
    assert.ok(!Number.isNaN(Date.parse(report.date)));
    assert.ok(report.machine.cores > 0 && report.machine.cpuModel.length > 0);
    assert.match(report.machine.node, /^v\d+/);
    assert.match(report.machine.envoy, /^1\.40\./);

    assert.deepEqual(
      report.scenarios.map((scenario) => scenario.id),
      SCENARIO_IDS,
      'every scenario, in order',
    );
    for (const scenario of report.scenarios) {
      for (const side of ['baseline', 'gateway'] as const) {
        const result = scenario[side];
        const where = `${scenario.id}.${side}`;
        assert.equal(result.load.kind, scenario.kind === 'stream' ? 'stream' : scenario.kind, `${where} kind`);
        assert.ok(result.load.ok > 0, `${where}: some requests succeeded`);
        if (result.load.kind === 'stream') {
          assertLatency(result.load.firstTokenMs, `${where}.firstTokenMs`);
          assertLatency(result.load.totalMs, `${where}.totalMs`);
          assertLatency(result.load.chunkTransitMs, `${where}.chunkTransitMs`);
          assert.equal(result.load.chunksPerStream, report.settings.streamProfile.chunks, `${where}: every chunk of every stream arrived`);
        } else {
          assertLatency(result.load.latencyMs, `${where}.latencyMs`);
          assert.ok(isNumber(result.load.throughputRps) && result.load.throughputRps > 0);
        }
        assert.ok(isNumber(result.envoyCpu.perRequestMicros), `${where}: Envoy CPU per request`);
        assert.ok(isNumber(result.noise.stealPercent) && isNumber(result.noise.otherProcessesPercent), `${where}: run conditions`);
      }
      assert.ok(isNumber(scenario.gateway.sidecarCpu?.perRequestMicros), `${scenario.id}: sidecar CPU per request`);
      assert.ok(isNumber(scenario.gateway.sidecarRssMiB) && scenario.gateway.sidecarRssMiB! > 0, `${scenario.id}: sidecar RSS`);
      assert.ok(scenario.gateway.sidecarConnection !== undefined, `${scenario.id}: sidecar connection counters`);
      for (const [name, value] of Object.entries(scenario.added)) assert.ok(isNumber(value), `${scenario.id}.added.${name} is a number`);
    }

    for (const api of ['openai', 'anthropic', 'messages-anthropic', 'messages-openai'] as const) {
      const summary = report.summary[api];
      assert.ok(summary !== undefined, `a summary for ${api}`);
      for (const [name, value] of Object.entries(summary)) assert.ok(isNumber(value), `summary.${api}.${name} is a number`);
      assert.ok(isNumber(summary.added_p50_ms_at_500rps) && isNumber(summary.added_per_chunk_ms), `summary.${api} has the 500 req/s and streaming figures`);
    }
    assert.equal(report.targets.length, 16, 'four targets per client API');
    for (const target of report.targets) assert.equal(typeof target.met, 'boolean');

    assert.ok(report.profile !== undefined, 'a profile section');
    assert.deepEqual(
      report.profile.windows.map((window) => window.id),
      ['openai-json', 'anthropic-json', 'openai-sse', 'anthropic-sse'],
    );
    for (const window of report.profile.windows) {
      assert.ok(window.samples > 0, `profile window ${window.id} has samples`);
      assert.ok(window.topSelf.length > 0 && window.components.length > 0, `profile window ${window.id} names functions`);
    }

    const markdown = readFileSync(join(outDir, 'latest.md'), 'utf8');
    // Every group but peers, which needs Portkey from `make bench`: make test never downloads it.
    assert.deepEqual(report.groups, BENCH_GROUPS.filter((group) => group !== 'peers'));
    assert.equal(report.peers, undefined);
    const features = report.features;
    assert.ok(features !== undefined, 'a features section');
    assert.deepEqual(
      features.comparisons.map((comparison) => comparison.id),
      ['cache-latency', 'cache-throughput', 'guardrails-4k', 'guardrails-64k', 'guardrails-stream', 'routing-4k', 'routing-64k'],
    );
    for (const comparison of features.comparisons) {
      for (const variant of comparison.variants) {
        const where = `${comparison.id}.${variant.id}`;
        assert.ok(variant.load.ok > 0, `${where}: some requests succeeded`);
        if (variant.load.kind === 'stream') {
          assertLatency(variant.load.totalMs, `${where}.totalMs`);
          assert.equal(variant.load.chunksPerStream, report.settings.streamProfile.chunks, `${where}: every chunk arrived`);
        } else assertLatency(variant.load.latencyMs, `${where}.latencyMs`);
        assert.ok(isNumber(variant.sidecarCpuMicros), `${where}: sidecar CPU`);
        if (variant.id !== comparison.reference) for (const [name, value] of Object.entries(variant.added ?? {})) assert.ok(isNumber(value), `${where}.added.${name}`);
      }
    }
    // What each cache variant was meant to be, it was: counted by the sidecar itself.
    const lookups = (id: string) => features.comparisons[0]!.variants.find((variant) => variant.id === id)!.cacheLookups ?? {};
    assert.ok((lookups('miss').miss ?? 0) > 0 && (lookups('miss').hit ?? 0) === 0, `misses: ${JSON.stringify(lookups('miss'))}`);
    assert.ok((lookups('exact-hit').hit ?? 0) > 0 && (lookups('exact-hit').miss ?? 0) === 0, `exact hits: ${JSON.stringify(lookups('exact-hit'))}`);
    assert.ok((lookups('semantic-hit')['semantic-hit'] ?? 0) > 0 && (lookups('semantic-hit').miss ?? 0) === 0, `semantic hits: ${JSON.stringify(lookups('semantic-hit'))}`);
    for (const group of ['cache', 'guardrails', 'routing'] as const) assert.ok(features.figures.some((figure) => figure.group === group), `figures for ${group}`);
    for (const figure of features.figures) assert.ok(figure.measured.length > 0 && !figure.measured.includes('undefined') && !figure.measured.includes('NaN'), `figure "${figure.name}": ${figure.measured}`);
    assert.ok(features.figures.some((figure) => figure.target !== undefined && typeof figure.met === 'boolean'), 'figures with targets say whether they were met');
    const inProcess = features.inProcess;
    for (const value of [inProcess.exactCacheMiBPer10k.heap, inProcess.semanticSearch.p50, inProcess.tokenCount64kMs.p50, inProcess.guardrailPerChunk.p50]) assert.ok(isNumber(value));

    // Issue 17: 1,000 streams at once, every one whole; RSS read at rest and while they were open.
    const memory = report.streamsMemory;
    assert.ok(memory !== undefined, 'a memory section');
    assert.equal(memory.streams, 1000);
    assert.equal(memory.completed, memory.streams, `every stream whole (${memory.failed} failed)`);
    assert.ok(memory.idleRssMiB > 0 && memory.afterRssMiB > 0 && memory.envoyIdleRssMiB > 0, 'RSS readings');
    assert.equal(typeof memory.openMet, 'boolean');
    for (const name of IN_FLIGHT_GAUGES) assert.equal(memory.gaugesAfter[name], 0, `${name} back to 0 after the streams`);

    // The soak: its correctness checks hold (gauges at 0, metering exactly once, refusals logged, clients answered as their kind should be).
    const soak = report.soak;
    assert.ok(soak !== undefined, 'a soak section');
    assert.deepEqual(Object.keys(soak.outcomes).sort(), [...new Set(SOAK_CYCLE)].sort(), 'every kind of soak traffic ran');
    for (const outcome of Object.values(soak.outcomes)) assert.ok(outcome.sent > 0);
    assert.ok(soak.checks.length >= 4);
    for (const check of soak.checks) assert.ok(check.passed, `soak check "${check.name}": ${check.detail}`);
    assert.ok(soak.metering.reachedMock > 0 && soak.metering.meteredOnce === soak.metering.reachedMock);
    assert.ok(soak.metering.cutShortLines > 0, 'cut-short streams were metered as such');
    for (const status of ['400', '401', '404', '429']) assert.ok((soak.metering.refusalLines[status] ?? 0) > 0, `refusals with status ${status} were logged`);
    for (const value of [soak.rss.startMiB, soak.rss.endMiB, soak.rss.growthMiB, soak.eventLoop.meanMs, soak.eventLoop.maxMs]) assert.ok(isNumber(value));
    assert.ok(soak.samples.length > 0, 'RSS and event-loop readings during the soak');

    for (const heading of ['## Headline', '## Targets (issue 7)', '## Non-streaming requests', '## Streaming', '## Where the sidecar\'s time goes (CPU profile)', '## Response cache (issue 14)', '## Guardrails (issue 15)', '## Routing (issue 16)', '## Memory with 1,000 concurrent streams (issue 17)', '## Steady state: soak (issue 17)']) {
      assert.ok(markdown.includes(heading), `latest.md has "${heading}"`);
    }
    for (const scenario of report.scenarios) assert.ok(markdown.includes(scenario.title), `latest.md names ${scenario.title}`);
    for (const comparison of features.comparisons) assert.ok(markdown.includes(comparison.title), `latest.md names ${comparison.title}`);
  });

  test('BENCH_ONLY selects groups, and refuses an unknown one', () => {
    assert.deepEqual(selectedGroups(undefined), [...BENCH_GROUPS]);
    assert.ok(selectedGroups(undefined).includes('peers'));
    assert.deepEqual(selectedGroups(undefined, 'smoke'), BENCH_GROUPS.filter((group) => group !== 'peers'), 'smoke runs all but peers');
    assert.deepEqual(selectedGroups('peers', 'smoke'), ['peers'], 'unless peers is named');
    assert.deepEqual(selectedGroups(' routing, cache '), ['cache', 'routing']);
    assert.throws(() => selectedGroups('cache,guardrail'), /unknown bench group "guardrail"/);
    assert.deepEqual(selectedGroups('soak,memory'), ['memory', 'soak']);
  });

  test('BENCH_SOAK_SECONDS and BENCH_SOAK_RATE take a positive number, or nothing', () => {
    assert.equal(positiveNumber('BENCH_SOAK_SECONDS', undefined), undefined);
    assert.equal(positiveNumber('BENCH_SOAK_SECONDS', '1800'), 1800);
    assert.throws(() => positiveNumber('BENCH_SOAK_SECONDS', '30m'), /BENCH_SOAK_SECONDS=30m: expected a positive number/);
    assert.throws(() => positiveNumber('BENCH_SOAK_RATE', '0'), /expected a positive number/);
  });
});
