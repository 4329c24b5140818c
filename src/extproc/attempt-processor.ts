import type { TargetRuntime } from '../config/runtime.js';
import { CONTENT_LENGTH_METADATA_KEY, METADATA_NAMESPACE, REQUEST_ID_ATTRIBUTE, TARGET_ATTRIBUTE } from '../config/render-envoy.js';
import type { RequestContext } from '../gateway/request-context.js';
import type { RequestStore } from '../gateway/request-store.js';
import type { Logger } from '../observability/logger.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ProcessingRequest, ProcessingResponse } from './messages.js';
import { toProtoStruct } from './proto-struct.js';
import { replaceRequest } from './responses.js';
import type { StreamProcessor } from './stream-processor.js';
import { upstreamRequestMutation } from './upstream-request-mutation.js';

export interface AttemptProcessorDependencies {
  store: RequestStore<RequestContext>;
  registry: ProviderRegistry;
  now: () => number;
  /** For a debug line per attempt; omitted, or above debug, costs nothing. */
  logger?: Logger;
}

/**
 * The upstream-level processor: Envoy runs it once per attempt, after it has picked the
 * endpoint, so a retry that lands on another provider is translated for that provider.
 * It answers the attempt's request headers with CONTINUE_AND_REPLACE: the provider's body,
 * path and credential. Envoy ignores ImmediateResponse from upstream filters, so anything
 * wrong here fails the stream, which Envoy (failure_mode_allow: false) turns into a 5xx:
 * nothing is ever forwarded untranslated or unauthenticated.
 */
export class AttemptProcessor implements StreamProcessor {
  readonly #dependencies: AttemptProcessorDependencies;

  constructor(dependencies: AttemptProcessorDependencies) {
    this.#dependencies = dependencies;
  }

  handle(request: ProcessingRequest): ProcessingResponse {
    if (request.request !== 'request_headers') {
      throw new Error(`attempt processor got an unexpected ${request.request ?? 'empty'} message`);
    }
    // Envoy gives every attempt the same header map, so headers removed by one attempt are gone for
    // the next; the request id therefore travels as the router's dynamic metadata, which no client can set.
    const attributes = request.attributes?.['envoy.filters.http.ext_proc']?.fields;
    const id = attributes?.[REQUEST_ID_ATTRIBUTE]?.stringValue;
    const context = id === undefined ? undefined : this.#dependencies.store.get(id);
    if (context === undefined) throw new Error('attempt for an unknown or expired request');
    const target = pickTarget(context, attributes?.[TARGET_ATTRIBUTE]?.stringValue);
    const upstream = context.prepared.get(target.id) ?? context.endpoint.buildUpstream(this.#dependencies.registry, context.request, target);
    context.attempts.push({ target, startedAt: this.#dependencies.now() });
    const { logger } = this.#dependencies;
    if (logger?.isLevelEnabled('debug')) {
      logger.debug(
        { request_id: context.id, model: context.route.alias, attempt: context.attempts.length, target: target.id, provider: target.provider.name, model_sent: target.model, path: upstream.path, body_bytes: upstream.body.length },
        'attempt written',
      );
    }
    const reply = replaceRequest(upstreamRequestMutation(upstream), upstream.body);
    // CONTINUE_AND_REPLACE drops content-length; the header_mutation upstream filter puts it back from this.
    reply.dynamic_metadata = toProtoStruct({ [METADATA_NAMESPACE]: { [CONTENT_LENGTH_METADATA_KEY]: String(upstream.body.length) } });
    return reply;
  }

  close(): void {}
}

/** Which endpoint Envoy chose, from the endpoint metadata the renderer wrote. */
function pickTarget(context: RequestContext, targetId: string | undefined): TargetRuntime {
  const target = context.route.targets.find((candidate) => candidate.id === targetId);
  if (target !== undefined) return target;
  throw new Error(`attempt names no target of model ${context.route.alias} (got ${JSON.stringify(targetId ?? null)})`);
}

