import type { ModelRoute } from '../config/runtime.js';
import type { AnyEndpoint, ClientFormat, TokenCounting } from '../endpoints/endpoint.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { TargetPauses } from '../resilience/target-pauses.js';
import type { TargetChoiceInput } from './choose-targets.js';
import type { Capabilities } from './create-capabilities.js';

/**
 * What chooseTargets needs of one request at one endpoint: the endpoint's reading of what the
 * request needs, its prompt (for the tokenizer), and for each target its translation or the check of it.
 */
export function choiceInput(
  dependencies: { registry: ProviderRegistry; capabilities: Capabilities; tokenCounter: TokenCounting; pauses?: TargetPauses | undefined },
  endpoint: AnyEndpoint,
  request: unknown,
  route: ModelRoute,
  promptUpperBound: number,
  format: ClientFormat,
): TargetChoiceInput {
  return {
    route,
    needs: endpoint.needs?.(request),
    promptUpperBound,
    promptText: () => endpoint.promptText(request),
    prepare: (target) => endpoint.buildUpstream(dependencies.registry, request, target),
    check: endpoint.checkUpstream === undefined ? undefined : (target) => endpoint.checkUpstream!(dependencies.registry, request, target),
    capabilities: dependencies.capabilities,
    counter: dependencies.tokenCounter,
    format,
    pausedFor: dependencies.pauses === undefined ? undefined : (target) => dependencies.pauses!.remaining(target.id),
  };
}
