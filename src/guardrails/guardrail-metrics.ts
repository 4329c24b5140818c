import { Counter, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import type { GuardrailObserver } from './guardrail-observer.js';

/**
 * Guardrail decisions as a metric and a log line each, and their latency. Labels are the
 * configured guardrail name, a fixed detector name and a fixed action; log lines carry the
 * request id and key alias, never the matched value.
 */
export function createGuardrailObserver(registry: Registry, logger: Logger): GuardrailObserver {
  const decisions = new Counter({
    name: 'llm_gateway_guardrail_decisions_total',
    help: 'Guardrail decisions: per guardrail and detector, what was done (blocked, masked, redacted, logged, cut).',
    labelNames: ['guardrail', 'detector', 'action'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'llm_gateway_guardrail_duration_seconds',
    help: 'Time spent in guardrails: per request for input (stage="input"), per answer for output (stage="output"; a stream\'s chunks summed).',
    labelNames: ['stage'],
    // Guardrails are meant to cost microseconds to a few milliseconds.
    buckets: [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
    registers: [registry],
  });
  return {
    decided(decision, request) {
      decisions.inc({ guardrail: decision.guardrail, detector: decision.detector, action: decision.action });
      logger.info(
        { request_id: request.requestId, key_alias: request.keyAlias ?? null, guardrail: decision.guardrail, detector: decision.detector, action: decision.action, stage: decision.stage, count: decision.count },
        'guardrail decision',
      );
    },
    timed(stage, seconds) {
      duration.observe({ stage }, seconds);
    },
  };
}
