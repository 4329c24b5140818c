import type { TargetRuntime } from '../config/runtime.js';
import type { UpstreamRequest } from '../providers/provider-adapter.js';
import type { TargetChoiceInput } from './choose-targets.js';

/** A target's request written, or only found honourable (checked), or refused. */
type Remembered = { readonly upstream: UpstreamRequest } | { readonly checked: true } | { readonly refusal: unknown };

/**
 * One request's provider requests, written once per (request, target). A route that chooses
 * the cheapest model translates every candidate's targets to learn which can serve the
 * request; the chosen model's targets were then translated a second time when the request
 * was served. The same request object and target give the same provider request (the
 * translators are pure), and a translation that refused refuses again: both are remembered,
 * and so is a check (TargetChoiceInput.check) that passed.
 *
 * Guardrails mask or redact a request in place, after routing and before serving: `forget`
 * drops everything written from it before, so no provider request carries what they removed.
 */
export class TranslationMemo {
  #byRequest = new WeakMap<object, Map<string, Remembered>>();

  /** chooseTargets' input whose `prepare` and `check` remember their answers for `request`. */
  remembering<Input extends Pick<TargetChoiceInput, 'prepare' | 'check'>>(input: Input, request: unknown): Input {
    if (typeof request !== 'object' || request === null) return input;
    let targets = this.#byRequest.get(request);
    if (targets === undefined) {
      targets = new Map();
      this.#byRequest.set(request, targets);
    }
    const remembered = targets;
    const { check } = input;
    return {
      ...input,
      prepare: (target: TargetRuntime) => {
        let found = remembered.get(target.id);
        if (found === undefined || 'checked' in found) {
          try {
            found = { upstream: input.prepare(target) };
          } catch (thrown) {
            found = { refusal: thrown };
          }
          remembered.set(target.id, found);
        }
        if ('refusal' in found) throw found.refusal;
        return (found as { upstream: UpstreamRequest }).upstream;
      },
      check:
        check === undefined
          ? undefined
          : (target: TargetRuntime) => {
              let found = remembered.get(target.id);
              if (found === undefined) {
                try {
                  check(target);
                  found = { checked: true };
                } catch (thrown) {
                  found = { refusal: thrown };
                }
                remembered.set(target.id, found);
              }
              if ('refusal' in found) throw found.refusal;
            },
    };
  }

  /** Drops every translation remembered so far (the request was changed in place). */
  forget(): void {
    this.#byRequest = new WeakMap();
  }
}
