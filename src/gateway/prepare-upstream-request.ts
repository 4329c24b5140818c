import type { TargetRuntime } from '../config/runtime.js';
import type { ChatCompletionRequest } from '../providers/openai/openai-api.js';
import type { AttemptTarget, ProviderAdapter, UpstreamRequest } from '../providers/provider-adapter.js';
import type { ProviderRegistry } from '../providers/registry.js';

/**
 * Translates a client request for one target: the provider's path, headers (credential
 * included) and body. Throws the adapter's GatewayError when the provider cannot honour
 * the request (a 400 naming the parameter), or an Error when the target cannot be used.
 */
export function prepareUpstreamRequest(registry: ProviderRegistry, request: ChatCompletionRequest, target: TargetRuntime): UpstreamRequest {
  return usableAdapter(registry, target).buildRequest(request, attemptTargetOf(target));
}

/**
 * Whether the target can honour a client request, without writing it (ProviderAdapter.checkRequest):
 * throws what prepareUpstreamRequest would throw. The credential is not revealed for a check.
 */
export function checkUpstreamRequest(registry: ProviderRegistry, request: ChatCompletionRequest, target: TargetRuntime): void {
  usableAdapter(registry, target).checkRequest(request, checkedTargetOf(target));
}

/** The target's adapter; an Error when the kind has none or the provider is unavailable. */
export function usableAdapter(registry: ProviderRegistry, target: TargetRuntime): ProviderAdapter {
  const adapter = registry.get(target.provider.kind);
  if (adapter === undefined) throw new Error(`no adapter for provider kind ${target.provider.kind}`);
  if (target.provider.unavailableReason !== undefined) throw new Error(`provider ${target.provider.name} is unavailable: ${target.provider.unavailableReason}`);
  return adapter;
}

/** What an adapter needs of a target to write one attempt's request, the credential revealed. */
export function attemptTargetOf(target: TargetRuntime): AttemptTarget {
  return {
    model: target.model,
    pathPrefix: target.provider.pathPrefix,
    credential: target.provider.credential?.reveal(),
    apiVersion: target.provider.apiVersion,
  };
}

/** What an adapter needs of a target to judge a request: no credential. */
export function checkedTargetOf(target: TargetRuntime): AttemptTarget {
  return { model: target.model, pathPrefix: target.provider.pathPrefix, credential: undefined, apiVersion: target.provider.apiVersion };
}
