import { GatewayError } from '../errors.js';
import type { ModelCapabilities } from './capability-table.js';
import type { Capability, RequestNeeds } from './request-needs.js';

/** What each capability is called in a refusal. */
const TAKES: Readonly<Record<Capability, string>> = {
  tools: 'tools',
  vision: 'images',
  json_schema: 'a JSON schema for its answer',
  reasoning: 'reasoning controls',
};

/** Checked in this order, so the refusal always names the same first problem. */
const ORDER: readonly Capability[] = ['vision', 'tools', 'json_schema', 'reasoning'];

/**
 * The 400 for a request that needs an ability its model lacks (config/capabilities.yaml or
 * the configuration's override), naming the field that asks for it; undefined when the model
 * has every ability the request uses. `model` is the name the client sees (an alias, or the
 * target's model in a fallback chain).
 */
export function checkCapabilities(needs: RequestNeeds, capabilities: ModelCapabilities, model: string): GatewayError | undefined {
  for (const capability of ORDER) {
    const path = needs.uses[capability];
    if (path === undefined || capabilities[capability]) continue;
    return new GatewayError({
      status: 400,
      code: 'unsupported_capability',
      type: 'invalid_request_error',
      param: path,
      message: `Model '${model}' does not take ${TAKES[capability]}: remove ${path}, or use a model that does.`,
      retryable: false,
    });
  }
  return undefined;
}
