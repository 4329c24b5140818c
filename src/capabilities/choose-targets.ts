import { hasAttemptProcessor, type ModelRoute, type TargetRuntime } from '../config/runtime.js';
import type { ClientFormat } from '../endpoints/endpoint.js';
import { GatewayError } from '../errors.js';
import type { UpstreamRequest } from '../providers/provider-adapter.js';
import type { ModelCapabilities } from './capability-table.js';
import { checkCapabilities } from './check-capabilities.js';
import { contextLengthExceeded, mayExceedWindow, outputBound } from './context-window.js';
import type { Capabilities } from './create-capabilities.js';
import type { RequestNeeds } from './request-needs.js';

/** What choosing needs to know of one request. */
export interface TargetChoiceInput {
  route: ModelRoute;
  /** What the request needs; undefined for an endpoint that checks nothing. */
  needs: RequestNeeds | undefined;
  /** A prompt token count no tokenizer exceeds (body bytes plus a bound per image), for the cheap first check. */
  promptUpperBound: number;
  /** The prompt's text, for the tokenizer; asked for only when the cheap check cannot decide. */
  promptText: () => string;
  /** Writes one target's provider request; throws a GatewayError (400) when the target cannot honour the request. */
  prepare: (target: TargetRuntime) => UpstreamRequest;
  /**
   * Whether one target can honour the request, without writing it: throws what `prepare`
   * would throw. Asked instead of `prepare` on a route with several targets, whose attempts
   * write their own requests (the attempt processor). Absent: `prepare` is asked.
   */
  check?: ((target: TargetRuntime) => void) | undefined;
  capabilities: Capabilities;
  counter: { count(text: string): Promise<number> };
  format: ClientFormat;
  /**
   * Milliseconds a target is still paused at its provider's request (TargetPauses.remaining;
   * 0 when free). Absent: no target is paused.
   */
  pausedFor?: ((target: TargetRuntime) => number) | undefined;
}

/** A target that cannot serve a request, and why (the 400 the client would get from it). */
export interface SkippedTarget {
  readonly target: TargetRuntime;
  readonly reason: GatewayError;
}

/** The targets of a route that can serve a request, and for a route of one target its provider request. */
export interface TargetChoice {
  /** In chain order; empty when no target can serve the request. */
  readonly usable: readonly TargetRuntime[];
  /** Target id -> provider request: written only on a route of one target (the others are checked). */
  readonly prepared: Map<string, UpstreamRequest>;
  /** Targets that cannot serve it, with why: the chain's first reason is the refusal when none can. */
  readonly skipped: ReadonlyMap<string, SkippedTarget>;
  /** The refusal for the client when no target can serve the request. */
  readonly refusal: GatewayError | undefined;
  /** Every target was skipped only because the request is too long for it (an upgrade can help). */
  readonly tooLongForAll: boolean;
}

/**
 * Sorts a route's targets (those whose provider can be used) into the ones that can serve
 * this request and the ones that cannot, before anything is sent: a missing capability
 * (checkCapabilities), a parameter the provider cannot honour (`prepare` or `check` throws), or a
 * prompt plus output bound beyond the context window (contextLengthExceeded).
 *
 * A target paused at its provider's request is skipped too (code PAUSED_TARGET_CODE), while
 * another can serve the request: Envoy is then handed only the levels that are free, so no
 * attempt goes to the paused target even before Envoy's health check of it has failed (that
 * news reaches Envoy's workers asynchronously). When every target that could serve the request
 * is paused, they stay usable: the forward stage answers 429 with the soonest Retry-After.
 *
 * The tokenizer runs at most once, and only when a target's window is smaller than the
 * prompt's upper bound plus its output bound; otherwise the answer is synchronous.
 * Errors other than GatewayError (bugs, an unusable adapter) are thrown.
 */
export function chooseTargets(input: TargetChoiceInput): TargetChoice | Promise<TargetChoice> {
  const { route, needs, capabilities } = input;
  const candidates = route.targets.filter((target) => target.provider.unavailableReason === undefined);
  // Several targets: each attempt writes its own request, so here they are only checked.
  const check = hasAttemptProcessor(route) ? input.check : undefined;
  const prepared = new Map<string, UpstreamRequest>();
  const skipped = new Map<string, SkippedTarget>();
  /** Targets whose window the cheap bound cannot vouch for, with their output bound. */
  const toCount: Array<{ target: TargetRuntime; capabilities: ModelCapabilities; output: number }> = [];
  for (const target of candidates) {
    const described = needs === undefined ? undefined : capabilities.of(target);
    if (described !== undefined) {
      const missing = checkCapabilities(needs!, described, route.alias);
      if (missing !== undefined) {
        skipped.set(target.id, { target, reason: missing });
        continue;
      }
    }
    try {
      if (check !== undefined) check(target);
      else prepared.set(target.id, input.prepare(target));
    } catch (thrown) {
      if (!(thrown instanceof GatewayError)) throw thrown;
      skipped.set(target.id, { target, reason: thrown });
      continue;
    }
    if (described !== undefined) {
      const output = outputBound(needs!.maxOutputTokens, described);
      if (mayExceedWindow(input.promptUpperBound, output, described)) toCount.push({ target, capabilities: described, output });
    }
  }
  if (toCount.length === 0) return result(candidates, prepared, skipped, input.pausedFor);
  return input.counter.count(input.promptText()).then((promptTokens) => {
    for (const { target, capabilities: described, output } of toCount) {
      const tooLong = contextLengthExceeded(promptTokens, output, described, input.format);
      if (tooLong === undefined) continue;
      prepared.delete(target.id);
      skipped.set(target.id, { target, reason: tooLong });
    }
    return result(candidates, prepared, skipped, input.pausedFor);
  });
}

/** The code of a paused target's entry in `skipped` (what the attempt processor says should an attempt reach it). */
export const PAUSED_TARGET_CODE = 'provider_paused';

function result(candidates: readonly TargetRuntime[], prepared: Map<string, UpstreamRequest>, skipped: Map<string, SkippedTarget>, pausedFor: TargetChoiceInput['pausedFor']): TargetChoice {
  let usable = candidates.filter((target) => !skipped.has(target.id));
  if (pausedFor !== undefined && usable.length > 1) {
    const free = usable.filter((target) => pausedFor(target) === 0);
    if (free.length > 0 && free.length < usable.length) {
      for (const target of usable) {
        if (free.includes(target)) continue;
        prepared.delete(target.id);
        skipped.set(target.id, { target, reason: pausedTarget(target) });
      }
      usable = free;
    }
  }
  const reasons = [...skipped.values()].map((skip) => skip.reason);
  return {
    usable,
    prepared,
    skipped,
    refusal: usable.length === 0 ? reasons[0] : undefined,
    tooLongForAll: usable.length === 0 && reasons.length > 0 && reasons.every((reason) => reason.code === 'context_length_exceeded'),
  };
}

function pausedTarget(target: TargetRuntime): GatewayError {
  return new GatewayError({ status: 429, code: PAUSED_TARGET_CODE, type: 'rate_limit_error', message: `${target.provider.name}/${target.model} is paused at its provider's request.` });
}
