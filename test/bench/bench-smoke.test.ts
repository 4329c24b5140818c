import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SCENARIO_IDS, type BenchReport } from '../../bench/run.js';
import { PACKAGE_ROOT } from '../support/gateway-harness.js';

/**
 * `make bench` in miniature: the whole benchmark (mock provider, Envoy alone, the gateway,
 * every scenario, the profiled sidecar) runs with a few hundred requests and must write a
 * well-formed report naming every scenario. No timing is asserted: this machine's speed is
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

describe('make bench, smoke mode', { timeout: 240_000 }, () => {
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

    for (const api of ['openai', 'anthropic'] as const) {
      for (const [name, value] of Object.entries(report.summary[api])) assert.ok(isNumber(value), `summary.${api}.${name} is a number`);
    }
    assert.ok(report.targets.length >= 6);
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
    for (const heading of ['## Headline', '## Targets (issue 7)', '## Non-streaming requests', '## Streaming', '## Where the sidecar\'s time goes (CPU profile)']) {
      assert.ok(markdown.includes(heading), `latest.md has "${heading}"`);
    }
    for (const scenario of report.scenarios) assert.ok(markdown.includes(scenario.title), `latest.md names ${scenario.title}`);
  });
});
