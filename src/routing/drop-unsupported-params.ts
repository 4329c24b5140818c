import type { ModelRoute, RuntimeView, TargetRuntime } from '../config/runtime.js';
import { GatewayError } from '../errors.js';
import type { UpstreamRequest } from '../providers/provider-adapter.js';

/**
 * Whether a target drops parameters it cannot honour instead of refusing the request:
 * `models.<alias>.drop_params` when set, else its provider's `drop_params` (default false).
 */
export function dropsParams(view: RuntimeView, route: Pick<ModelRoute, 'alias'>, target: TargetRuntime): boolean {
  return view.configuration.models[route.alias]?.drop_params ?? view.configuration.providers[target.provider.name]?.drop_params ?? false;
}

/** Translations tried before giving up: each retry removes one parameter, and no request has this many. */
const MAX_DROPS = 64;

/**
 * A target's provider request with the parameters it cannot honour left out, like LiteLLM's
 * drop_params. The translators refuse such a parameter with a 400 `unsupported_parameter`
 * naming it (translation-errors.ts); when that names a top-level field of the request, the
 * field is removed from a copy and the request translated again, until it translates. Each
 * removed field is appended to `dropped`, in order. A refusal about something nested
 * (`messages[0].content[1]`) or another error is thrown as before: dropping part of the
 * conversation would answer another question.
 */
export function buildDroppingParams<Built = UpstreamRequest>(build: (request: unknown) => Built, request: unknown, dropped: string[]): Built {
  let current = request as Record<string, unknown>;
  for (let tries = 0; ; tries += 1) {
    try {
      return build(current);
    } catch (thrown) {
      const param = thrown instanceof GatewayError && thrown.code === 'unsupported_parameter' ? (thrown.param ?? undefined) : undefined;
      if (param === undefined || tries >= MAX_DROPS || param === 'model' || param === 'messages' || !Object.hasOwn(current, param)) throw thrown;
      const { [param]: _removed, ...rest } = current;
      current = rest;
      dropped.push(param);
    }
  }
}

/**
 * chooseTargets' input with `prepare` and `check` dropping what a target cannot honour, for
 * targets that drop parameters (dropsParams); `dropped` gets, by target id, the parameters
 * left out of that target's request (an entry is written anew each time the target is
 * prepared or checked: both drop the same ones, the translators being pure).
 */
export function withDroppedParams<Input extends { route: ModelRoute; prepare: (target: TargetRuntime) => UpstreamRequest; check?: ((target: TargetRuntime) => void) | undefined }>(
  input: Input,
  view: RuntimeView,
  build: (request: unknown, target: TargetRuntime) => UpstreamRequest,
  request: unknown,
  dropped: Map<string, readonly string[]>,
  check?: (request: unknown, target: TargetRuntime) => void,
): Input {
  const dropping = <Built>(target: TargetRuntime, write: (current: unknown) => Built): Built => {
    const names: string[] = [];
    const written = buildDroppingParams(write, request, names);
    if (names.length > 0) dropped.set(target.id, names);
    else dropped.delete(target.id);
    return written;
  };
  const { check: checkAsIs } = input;
  return {
    ...input,
    prepare: (target: TargetRuntime) => (dropsParams(view, input.route, target) ? dropping(target, (current) => build(current, target)) : input.prepare(target)),
    check:
      check === undefined || checkAsIs === undefined
        ? checkAsIs
        : (target: TargetRuntime) => (dropsParams(view, input.route, target) ? dropping(target, (current) => check(current, target)) : checkAsIs(target)),
  };
}
