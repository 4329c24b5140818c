import type { Configuration } from '../config/schema.js';
import type { ClientFormat } from '../endpoints/endpoint.js';
import type { Moderate } from './gateway-moderator.js';
import type { GuardrailObserver } from './guardrail-observer.js';
import { createGuardrailPolicies, type GuardrailPolicies } from './guardrail-policies.js';
import { RequestGuard } from './request-guard.js';

/**
 * What the router needs of guardrails: the policies of the configuration a request runs
 * under (compiled once per configuration, so a reload takes effect for the next request),
 * and a request's guard.
 */
export interface GuardrailRuntime {
  policies(configuration: Configuration): GuardrailPolicies;
  /**
   * A request's guard for `model` (and its key, when known), or undefined when no guardrail
   * applies. `credential`: the client's, for moderation calls through the gateway.
   */
  guard(configuration: Configuration, model: string, keyAlias: string | undefined, request: { format: ClientFormat; requestId: string; credential?: string | undefined }): RequestGuard | undefined;
}

/** `moderate`: calls the gateway's own moderation models (createGatewayModerator); absent: moderation guardrails' calls fail and their on_error applies. */
export function createGuardrailRuntime(observer: GuardrailObserver, now: () => number, moderate?: Moderate): GuardrailRuntime {
  const compiled = new WeakMap<Configuration, GuardrailPolicies>();
  const policies = (configuration: Configuration) => {
    let found = compiled.get(configuration);
    if (found === undefined) {
      found = createGuardrailPolicies(configuration);
      compiled.set(configuration, found);
    }
    return found;
  };
  return {
    policies,
    guard(configuration, model, keyAlias, request) {
      const guardrails = policies(configuration).forRequest(model, keyAlias);
      if (guardrails.length === 0) return undefined;
      return new RequestGuard(guardrails, request.format, { requestId: request.requestId, keyAlias, observer, now, moderate, credential: request.credential });
    },
  };
}
