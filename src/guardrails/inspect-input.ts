import { GatewayError } from '../errors.js';
import type { GuardrailDecision } from './guardrail-observer.js';
import { resolveOverlaps, type Finding } from './detection.js';
import type { Guardrail } from './guardrail-policies.js';
import type { PlaceholderVault } from './placeholder-vault.js';
import type { TextGroup } from './request-texts.js';
import { joinedText, rewriteGroup, type Replacement } from './rewrite-group.js';

/** The input guardrails' outcome: decisions made, and the refusal when one blocked. */
export interface InputOutcome {
  decisions: GuardrailDecision[];
  refusal?: GatewayError;
}

/** Each analyser guardrail's findings per group (by index), on the texts as received; undefined: the call failed. */
export type AnalyzerResults = ReadonlyMap<string, readonly Finding[][] | undefined>;

/** The refusal when a fail-closed analyser could not be asked. */
export function guardrailUnavailable(guardrail: string): GatewayError {
  return new GatewayError({ status: 503, code: 'guardrail_unavailable', message: `Guardrail '${guardrail}' could not check the request (its analyser did not answer in time); retry later.` });
}

/** The refusal of a blocked request: names the guardrail and detector, never what matched. */
export function guardrailBlocked(guardrail: string, detector: string, stage: 'input' | 'output'): GatewayError {
  return new GatewayError({
    status: 400,
    code: 'guardrail_blocked',
    type: 'invalid_request_error',
    message: `The request was blocked by guardrail '${guardrail}': detector '${detector}' matched the ${stage === 'input' ? 'request' : 'answer'}.`,
  });
}

/**
 * Runs input guardrails, in order, over a request's texts: PII (every text) and prompt
 * injection (user text and tool results); deny lists and moderation models are skipped.
 * Masking and redaction rewrite the texts in place (the request is then built from them);
 * masked values go into `vault`. The first guardrail that blocks ends the run.
 */
export function inspectInput(guardrails: readonly Guardrail[], groups: readonly TextGroup[], vault: PlaceholderVault, analyzed: AnalyzerResults = new Map()): InputOutcome {
  const decisions: GuardrailDecision[] = [];
  // Analysers' offsets are in the texts as received: they run before any rule rewrites them.
  const ordered = [...guardrails.filter((guardrail) => guardrail.kind === 'analyzer'), ...guardrails.filter((guardrail) => guardrail.kind !== 'analyzer')];
  for (const guardrail of ordered) {
    // Deny lists are output guardrails; moderation models are asked by the request guard itself (a call through the gateway).
    if (guardrail.kind === 'deny_list' || guardrail.kind === 'moderation') continue;
    const results = guardrail.kind === 'analyzer' ? analyzed.get(guardrail.name) : undefined;
    if (guardrail.kind === 'analyzer' && results === undefined) {
      decisions.push({ guardrail: guardrail.name, detector: 'analyzer', action: guardrail.onError === 'closed' ? 'blocked' : 'unavailable', stage: 'input', count: 0 });
      if (guardrail.onError === 'closed') return { decisions, refusal: guardrailUnavailable(guardrail.name) };
      continue;
    }
    const counts = new Map<string, number>();
    for (const [index, group] of groups.entries()) {
      if (guardrail.kind === 'prompt_injection' && group.role !== 'user' && group.role !== 'tool') continue;
      const text = joinedText(group);
      const findings = guardrail.kind === 'analyzer' ? resolveOverlaps(results![index] ?? [], []) : guardrail.scan(text);
      if (findings.length === 0) continue;
      if (guardrail.action === 'block') {
        decisions.push({ guardrail: guardrail.name, detector: findings[0]!.detector, action: 'blocked', stage: 'input', count: findings.length });
        return { decisions, refusal: guardrailBlocked(guardrail.name, findings[0]!.detector, 'input') };
      }
      for (const finding of findings) counts.set(finding.detector, (counts.get(finding.detector) ?? 0) + 1);
      if (guardrail.action === 'log') continue;
      const replacements: Replacement[] = findings.map((finding) => ({
        start: finding.start,
        end: finding.end,
        text: guardrail.action === 'mask' ? vault.placeholderFor(finding.detector, text.slice(finding.start, finding.end)) : `[REDACTED_${finding.detector.toUpperCase()}]`,
      }));
      rewriteGroup(group, replacements);
    }
    const action = guardrail.action === 'mask' ? 'masked' : guardrail.action === 'redact' ? 'redacted' : 'logged';
    for (const [detector, count] of counts) decisions.push({ guardrail: guardrail.name, detector, action, stage: 'input', count });
  }
  return { decisions };
}
