import type { GatewayError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Usage } from '../providers/usage.js';
import { routeReason } from '../routing/routing-headers.js';
import { lastAttempt, type RequestContext } from './request-context.js';

/** How a request that reached a provider ended. */
export interface RequestOutcome {
  readonly context: RequestContext;
  readonly status: number;
  readonly usage: Usage | undefined;
  /** The model the provider says served the request. */
  readonly servedModel: string | undefined;
  /** performance.now() when the first content byte went back to the client (streams). */
  readonly firstByteAt: number | undefined;
  readonly endedAt: number;
  /** The stream ended before the upstream finished it (client left, upstream reset). */
  readonly cutShort: boolean;
  /** Some token counts are the gateway's estimate (the provider's totals never arrived). */
  readonly usageEstimated: boolean;
  /** What the request cost, from the price table; undefined when the model has no price or no usage came. */
  readonly costUsd: number | undefined;
  /** The virtual key's alias, when the request carried one. */
  readonly keyAlias: string | undefined;
}

/** Token types as the gen_ai.token.type attribute names them; the last three are parts of the first two. */
const TOKEN_TYPES = [
  ['input', 'promptTokens'],
  ['output', 'completionTokens'],
  ['cached_input', 'cachedTokens'],
  ['cache_creation_input', 'cacheWriteTokens'],
  ['reasoning', 'reasoningTokens'],
] as const;

/** What a refusal's log line says about the request. */
export interface RefusedRequest {
  requestId: string;
  method: string;
  path: string;
  model?: string | undefined;
  /** The virtual key refused, when it was known. */
  keyAlias?: string | undefined;
}

export interface Meter {
  /** A request was handed to a provider (for the active-requests gauge). */
  start(model: string): void;
  /** Records a finished request. The meter-and-settle observer (src/pipeline/observers) calls it exactly once per request that reached a provider. */
  record(outcome: RequestOutcome): void;
  /** Records a request the gateway refused itself; `requestId` is Envoy's x-request-id, as in every log line. */
  refuse(error: GatewayError, request: RefusedRequest): void;
}

export function createMeter(dependencies: { metrics: GatewayMetrics; logger: Logger }): Meter {
  const { metrics, logger } = dependencies;
  return {
    start(model) {
      metrics.activeRequests.inc({ gen_ai_request_model: model });
    },
    record(outcome) {
      const { context, usage } = outcome;
      const attempt = lastAttempt(context);
      const provider = attempt?.target.provider.name ?? 'none';
      const model = context.route.alias;
      const status = String(outcome.status);
      const seconds = (outcome.endedAt - context.startedAt) / 1000;
      metrics.activeRequests.dec({ gen_ai_request_model: model });
      // The configured name of the model that served, not the provider's snapshot string: label values stay bounded.
      const servedBy = attempt?.target.model ?? 'none';
      metrics.requests.inc({ gen_ai_request_model: model, gen_ai_response_model: servedBy, gen_ai_provider_name: provider, http_response_status_code: status, gen_ai_streaming: String(context.stream) });
      metrics.duration.observe({ gen_ai_request_model: model, gen_ai_provider_name: provider, http_response_status_code: status }, seconds);
      for (const record of context.attempts) metrics.attempts.inc({ gen_ai_request_model: model, gen_ai_provider_name: record.target.provider.name });
      const first = context.attempts[0];
      if (first !== undefined && attempt !== undefined && attempt.target.priority > first.target.priority) metrics.fallbacks.inc({ gen_ai_request_model: model });
      if (outcome.costUsd !== undefined) {
        metrics.spend.inc({ key_alias: outcome.keyAlias ?? 'none', gen_ai_request_model: model }, outcome.costUsd);
        metrics.cost.inc({ gen_ai_request_model: model, gen_ai_provider_name: provider }, outcome.costUsd);
      } else if (usage && attempt) {
        // Metered, but on a model with no price: an unknown cost, counted rather than added as $0.
        metrics.unpricedRequests.inc({ gen_ai_request_model: model, gen_ai_response_model: servedBy, gen_ai_provider_name: provider });
      }
      if (usage) {
        metrics.keyTokens.inc({ key_alias: outcome.keyAlias ?? 'none', gen_ai_request_model: model }, usage.totalTokens);
        for (const [type, field] of TOKEN_TYPES) {
          metrics.tokens.observe({ gen_ai_request_model: model, gen_ai_provider_name: provider, gen_ai_token_type: type }, usage[field]);
        }
      }
      const timeToFirstToken = outcome.firstByteAt === undefined ? undefined : (outcome.firstByteAt - context.startedAt) / 1000;
      let timePerOutputToken: number | undefined;
      if (timeToFirstToken !== undefined && context.stream) {
        metrics.timeToFirstToken.observe({ gen_ai_request_model: model, gen_ai_provider_name: provider }, timeToFirstToken);
        // As OpenTelemetry defines it: the decode time after the first token, per further token.
        if (usage && usage.completionTokens > 1 && !outcome.cutShort) {
          timePerOutputToken = (outcome.endedAt - outcome.firstByteAt!) / 1000 / (usage.completionTokens - 1);
          metrics.timePerOutputToken.observe({ gen_ai_request_model: model, gen_ai_provider_name: provider }, timePerOutputToken);
        }
      }
      // The line is built only when it is written (the level may be above info).
      if (!logger.isLevelEnabled('info')) return;
      logger.info(
        {
          event: 'request',
          request_id: context.id,
          key_alias: outcome.keyAlias,
          model,
          model_served: outcome.servedModel ?? attempt?.target.model ?? null,
          provider,
          demo: context.route.demo || undefined,
          status: outcome.status,
          stream: context.stream,
          outcome: outcome.cutShort ? 'cut_short' : 'completed',
          attempts: context.attempts.map((record) => `${record.target.provider.name}/${record.target.model}`),
          // Targets of the chain that could not serve this request, never tried (capabilities, parameters, context window).
          skipped: context.skipped?.size ? [...context.skipped.values()].map(({ target, reason }) => `${target.provider.name}/${target.model}: ${reason.code}`) : undefined,
          route: context.routeDecision?.route,
          route_rule: context.routeDecision?.rule,
          route_reason: context.routeDecision === undefined ? undefined : routeReason(context.routeDecision),
          // Parameters the answering target's request left out (drop_params).
          dropped_params: attempt === undefined ? undefined : context.droppedParams?.get(attempt.target.id),
          truncated_turns: context.droppedTurns || undefined,
          prompt_tokens: usage?.promptTokens ?? null,
          completion_tokens: usage?.completionTokens ?? null,
          total_tokens: usage?.totalTokens ?? null,
          usage_estimated: outcome.usageEstimated || undefined,
          cost_usd: outcome.costUsd ?? null,
          cached_tokens: usage?.cachedTokens ?? null,
          reasoning_tokens: usage?.reasoningTokens ?? null,
          time_to_first_token_ms: timeToFirstToken === undefined ? null : round(timeToFirstToken * 1000),
          time_per_output_token_ms: timePerOutputToken === undefined ? null : round(timePerOutputToken * 1000),
          trace_id: context.traceId,
          duration_ms: round(seconds * 1000),
        },
        'request finished',
      );
    },
    refuse(error, request) {
      metrics.refusals.inc({ reason: error.code });
      if (!logger.isLevelEnabled('info')) return;
      logger.info(
        { event: 'refusal', request_id: request.requestId, key_alias: request.keyAlias, method: request.method, path: request.path, model: request.model, status: error.status, code: error.code, message: error.message },
        'request refused',
      );
    },
  };
}

function round(milliseconds: number): number {
  return Math.round(milliseconds * 1000) / 1000;
}
