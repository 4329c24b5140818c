import type { Meter, RequestOutcome } from '../gateway/meter.js';
import type { LatencyTracker } from './latency-tracker.js';

/**
 * The meter, also feeding each finished request's attempts to the latency tracker: the
 * gateway's own metering is the measurement, so every request counts (a route's or a model's
 * asked for directly), at no extra cost on the request path. Composed in main.ts.
 */
export function observingLatency(meter: Meter, tracker: LatencyTracker): Meter {
  return {
    start: (model) => meter.start(model),
    record(outcome) {
      meter.record(outcome);
      recordLatency(tracker, outcome);
    },
    refuse: (error, request) => meter.refuse(error, request),
  };
}

/**
 * One request's samples: every attempt before the last failed (Envoy retries only failures);
 * the last failed when the answer is a 5xx or 429, and succeeded with a 2xx, timed from the
 * attempt's start to the first byte of the answer sent on (streams: the first token; JSON:
 * the whole answer). Other answers (a 4xx about the request) say nothing about the target,
 * nor does a stream the client left before its first token.
 */
export function recordLatency(tracker: LatencyTracker, outcome: RequestOutcome): void {
  const { attempts, stream } = outcome.context;
  const last = attempts.length - 1;
  if (last < 0) return;
  for (let index = 0; index < last; index += 1) tracker.recordFailure(attempts[index]!.target);
  const attempt = attempts[last]!;
  if (outcome.status === 429 || outcome.status >= 500) {
    tracker.recordFailure(attempt.target);
    return;
  }
  if (outcome.status < 200 || outcome.status >= 300) return;
  if (outcome.firstByteAt === undefined && outcome.cutShort) return;
  tracker.recordSuccess(attempt.target, stream, (outcome.firstByteAt ?? outcome.endedAt) - attempt.startedAt);
}
