import type { TargetRuntime } from '../config/runtime.js';

/** What the tracker keeps per target: a few numbers, updated in place (no allocation per sample). */
export interface TargetLatency {
  /** The target the numbers belong to (its latest runtime object: a reload replaces it). */
  target: TargetRuntime;
  /** Moving average of the time to the first token of streamed answers, in ms; NaN until one is measured. */
  firstTokenMs: number;
  /** Moving average of the time to a whole non-streamed answer, in ms; NaN until one is measured. */
  totalMs: number;
  /** Moving average of failures (1) and successes (0): a share between 0 and 1. */
  errorRate: number;
  /** Monotonic ms (LatencyTrackerOptions.now) of the last sample. */
  lastSampleAt: number;
}

export interface LatencyTrackerOptions {
  /** Monotonic milliseconds (performance.now). */
  now: () => number;
  /** Uniform in [0, 1) (Math.random): exploration and ties; tests pass a scripted one. */
  random: () => number;
  /** The weight of a new sample in each moving average, in (0, 1]. Default 0.3: a jump shows within a few requests. */
  alpha?: number;
  /**
   * A target's score halves toward the optimistic prior (0 ms, no errors) every this many ms
   * without a sample (default 60 000), so a target nobody has tried for a while is tried again
   * even when exploration sends it nothing (little traffic).
   */
  halfLifeMs?: number;
}

/**
 * Live latency and error measurements per target (a model alias's member, TargetRuntime.id),
 * fed from the gateway's own metering (observe-latency.ts) and read by `fastest` rules
 * (choose-fastest.ts). Exponentially weighted moving averages: each sample updates them in
 * O(1); one small record per target, never per request. Measurements are local to this
 * sidecar (each replica learns from the traffic it sends), which is what its Envoy sees too.
 */
export class LatencyTracker {
  readonly #byTarget = new Map<string, TargetLatency>();
  readonly #now: () => number;
  readonly #alpha: number;
  readonly #halfLifeMs: number;
  readonly random: () => number;

  constructor(options: LatencyTrackerOptions) {
    this.#now = options.now;
    this.random = options.random;
    this.#alpha = options.alpha ?? 0.3;
    this.#halfLifeMs = options.halfLifeMs ?? 60_000;
    if (!(this.#alpha > 0 && this.#alpha <= 1)) throw new RangeError(`alpha must be in (0, 1], got ${this.#alpha}`);
    if (!(this.#halfLifeMs > 0)) throw new RangeError(`halfLifeMs must be positive, got ${this.#halfLifeMs}`);
  }

  /** A success: `milliseconds` to the first token (`stream`) or to the whole answer, counted from the attempt's start. */
  recordSuccess(target: TargetRuntime, stream: boolean, milliseconds: number): void {
    const entry = this.#entry(target);
    if (stream) entry.firstTokenMs = this.#average(entry.firstTokenMs, milliseconds);
    else entry.totalMs = this.#average(entry.totalMs, milliseconds);
    entry.errorRate = this.#average(entry.errorRate, 0);
    entry.lastSampleAt = this.#now();
  }

  /** A failed attempt (a 5xx, a 429, a reset or timeout as Envoy reported it). Its time is not a latency sample: fast failures must not look fast. */
  recordFailure(target: TargetRuntime): void {
    const entry = this.#entry(target);
    entry.errorRate = this.#average(entry.errorRate, 1);
    entry.lastSampleAt = this.#now();
  }

  /**
   * The target's expected latency for a request, in ms: the moving average for its kind
   * (streams: first token; else the whole answer; the other kind when only that one is
   * measured), plus `errorPenaltyMs` times the error rate, decayed toward 0 by the time since
   * the last sample. Undefined when the target has never been measured.
   */
  score(target: TargetRuntime, stream: boolean, errorPenaltyMs: number): number | undefined {
    const entry = this.#byTarget.get(target.id);
    if (entry === undefined || !sameTarget(entry.target, target)) return undefined;
    const preferred = stream ? entry.firstTokenMs : entry.totalMs;
    const other = stream ? entry.totalMs : entry.firstTokenMs;
    const latency = Number.isNaN(preferred) ? (Number.isNaN(other) ? 0 : other) : preferred;
    const age = Math.max(0, this.#now() - entry.lastSampleAt);
    return (latency + entry.errorRate * errorPenaltyMs) * 0.5 ** (age / this.#halfLifeMs);
  }

  /** Every measured target's numbers, for the metrics (read at scrape time). */
  entries(): IterableIterator<TargetLatency> {
    return this.#byTarget.values();
  }

  #average(previous: number, sample: number): number {
    // The first sample is taken as it is: an average that starts from 0 would favour new targets for several requests.
    return Number.isNaN(previous) ? sample : previous + this.#alpha * (sample - previous);
  }

  #entry(target: TargetRuntime): TargetLatency {
    let entry = this.#byTarget.get(target.id);
    if (entry === undefined || !sameTarget(entry.target, target)) {
      // A new target, or a reload gave its id to another provider or model: start again.
      entry = { target, firstTokenMs: Number.NaN, totalMs: Number.NaN, errorRate: Number.NaN, lastSampleAt: 0 };
      this.#byTarget.set(target.id, entry);
    } else if (entry.target !== target) {
      entry.target = target;
    }
    return entry;
  }
}

function sameTarget(known: TargetRuntime, target: TargetRuntime): boolean {
  return known === target || (known.provider.name === target.provider.name && known.model === target.model);
}
