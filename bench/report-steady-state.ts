import type { SoakReport } from './soak.js';
import type { StreamsMemoryReport } from './streams-memory.js';

/** latest.md's sections for issue 17's memory target and steady-state soak, from the report alone. */
export function steadyStateSections(report: { streamsMemory?: StreamsMemoryReport; soak?: SoakReport }): string[] {
  const out: string[] = [];
  const memory = report.streamsMemory;
  if (memory) {
    out.push(
      '',
      '## Memory with 1,000 concurrent streams (issue 17)',
      '',
      `A gateway of its own, warmed up with answers and streams, then ${memory.streams} chat completion streams (OpenAI pass-through) opened over ${memory.rampSeconds} s, each lasting ${memory.holdSeconds} s, so that all are open at once. RSS read from /proc every 250 ms while every stream was open (${memory.readingsWhileOpen} readings). Envoy: ${memory.envoyLimits}.`,
      '',
      '| figure | measured | target | met |',
      '|---|---:|---|:---:|',
      `| sidecar RSS at rest (after warm-up) | ${memory.idleRssMiB} MiB | <= ${memory.targetMiB} MiB | ${yes(memory.idleMet)} |`,
      `| sidecar RSS with ${memory.maxOpen} streams open (largest reading) | ${memory.readingsWhileOpen > 0 ? `${memory.openRssMiB} MiB` : 'never all open'} | <= ${memory.targetMiB} MiB | ${yes(memory.openMet)} |`,
      `| sidecar RSS after they ended | ${memory.afterRssMiB} MiB | | |`,
      `| Envoy RSS at rest -> with the streams open | ${memory.envoyIdleRssMiB} -> ${memory.envoyOpenRssMiB} MiB | | |`,
      `| the sidecar's llm_gateway_active_requests while all were open | ${memory.sidecarActiveRequests ?? '-'} | ${memory.streams} | ${yes(memory.sidecarActiveRequests === memory.streams)} |`,
      `| streams whole / failed | ${memory.completed} / ${memory.failed} | ${memory.streams} / 0 | ${yes(memory.completed === memory.streams)} |`,
      `| in-flight gauges after | ${gaugeList(memory.gaugesAfter)} | all 0 | ${yes(Object.values(memory.gaugesAfter).every((value) => value === 0))} |`,
    );
  }
  const soak = report.soak;
  if (soak) {
    const minutes = soak.seconds >= 120 ? `${Math.round(soak.seconds / 60)} min` : `${soak.seconds} s`;
    out.push(
      '',
      '## Steady state: soak (issue 17)',
      '',
      `${minutes} at ${soak.rate} req/s after ${soak.warmupSeconds} s of the same traffic, through a gateway whose virtual key has a budget and a parallel limit (every request reserves, then settles or releases). Mix, ${soak.mix}. Streams: ${soak.profile.chunks} chunks ${soak.profile.interChunkMs} ms apart; cut-short clients leave after 5 chunks, dropped ones right after sending. Run conditions: steal ${soak.noise.stealPercent} %, other processes ${soak.noise.otherProcessesPercent} % of all cores.`,
      '',
      '| check | result | detail |',
      '|---|:---:|---|',
      ...soak.checks.map((check) => `| ${check.name} | ${check.passed ? 'pass' : '**FAIL**'} | ${check.detail} |`),
      '',
      '| figure | measured |',
      '|---|---:|',
      `| sidecar RSS start -> end (growth) | ${soak.rss.startMiB} -> ${soak.rss.endMiB} MiB (${signed(soak.rss.growthMiB)} MiB) |`,
      `| sidecar RSS growth over the second half | ${signed(soak.rss.secondHalfGrowthMiB)} MiB |`,
      `| sidecar RSS peak | ${soak.rss.peakMiB} MiB |`,
      `| sidecar heap used start -> end | ${soak.heapUsed.startMiB} -> ${soak.heapUsed.endMiB} MiB |`,
      `| event-loop delay: mean / worst window p99 / max | ${soak.eventLoop.meanMs} / ${soak.eventLoop.worstP99Ms} / ${soak.eventLoop.maxMs} ms |`,
      `| major GCs during the run | ${soak.majorGcs} |`,
      `| sidecar CPU per request (all kinds, stream chunks and the /metrics readings included) | ${Math.round(soak.sidecarCpuMicrosPerRequest)} µs |`,
      `| metered lines / cut short / metered but never at the provider (client left first) | ${soak.metering.meteredLines} / ${soak.metering.cutShortLines} / ${soak.metering.meteredNotAtMock} |`,
      `| refusal lines by status | ${Object.entries(soak.metering.refusalLines).map(([status, count]) => `${status}: ${count}`).join(', ') || '-'} |`,
      '',
      `Event-loop delay: ${soak.eventLoop.note}.`,
      '',
      '| kind | sent | as expected | other outcomes | statuses |',
      '|---|---:|---:|---|---|',
      ...Object.entries(soak.outcomes).map(([kind, outcome]) => `| ${kind} | ${outcome.sent} | ${outcome.expected} | ${Object.entries(outcome.unexpected).map(([what, count]) => `${what}: ${count}`).join(', ')} | ${Object.entries(outcome.statuses).map(([status, count]) => `${status}: ${count}`).join(', ')} |`),
    );
  }
  return out;
}

function yes(met: boolean): string {
  return met ? 'yes' : '**no**';
}

function signed(value: number): string {
  return value > 0 ? `+${value}` : String(value);
}

function gaugeList(gauges: Record<string, number>): string {
  return Object.entries(gauges).map(([name, value]) => `${name.replace(/^llm_gateway_/, '')} ${value}`).join(', ');
}
