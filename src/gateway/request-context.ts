import type { ModelRoute, TargetRuntime } from '../config/runtime.js';
import type { AnyEndpoint } from '../endpoints/endpoint.js';
import type { SkippedTarget } from '../capabilities/choose-targets.js';
import type { UpstreamRequest } from '../providers/provider-adapter.js';
import type { RouteDecision } from '../routing/choose-by-route.js';

/**
 * Everything the gateway knows about one client request, held by the router-level
 * processor's stream. The attempt processor (another gRPC stream, maybe another sidecar
 * process) never sees it: what an attempt needs travels through Envoy (gateway/attempt-brief.ts),
 * and the attempts come back to the router with the answer (the `tried` metadata).
 */
export interface RequestContext {
  readonly id: string;
  /** W3C trace id: the client's traceparent's, or one the gateway started (and sent on to the provider). */
  readonly traceId: string;
  /** performance.now() when the request headers reached the sidecar. */
  readonly startedAt: number;
  readonly route: ModelRoute;
  /** The endpoint the client called; it builds each attempt's provider request from `request`. */
  readonly endpoint: AnyEndpoint;
  /** The client's request, as the endpoint parsed it. */
  readonly request: unknown;
  readonly stream: boolean;
  /** The client asked for the usage chunk (stream_options.include_usage). */
  readonly includeUsage: boolean;
  readonly attempts: AttemptRecord[];
  /**
   * Upstream requests already translated, by target id. The router translates for the
   * first target up front (so a parameter that provider cannot honour is refused with a
   * 400 before anything is sent); a single-target model forwards it as is.
   */
  readonly prepared: Map<string, UpstreamRequest>;
  /**
   * Targets that cannot serve this request (a capability it lacks, a parameter it cannot
   * honour, a context window too small), with why. Envoy is handed only the levels that can
   * serve it (routeForLevels), so only a member of a balanced level (or a level of a very long
   * chain) can be one of these; the attempt processor, told by the brief, refuses to write its request.
   */
  readonly skipped?: ReadonlyMap<string, SkippedTarget>;
  /** The route's choice, when the client asked for a route (src/routing/); `route` is then the chosen model's. */
  readonly routeDecision?: RouteDecision | undefined;
  /** Parameters left out of each target's request (drop_params), by target id. */
  readonly droppedParams?: ReadonlyMap<string, readonly string[]>;
  /** Turns dropped from the client's conversation to fit (context_policy truncate); `request` is the shortened one. */
  readonly droppedTurns?: number | undefined;
}

export interface AttemptRecord {
  readonly target: TargetRuntime;
  /** performance.now() when the attempt was sent. */
  readonly startedAt: number;
}

export function lastAttempt(context: RequestContext): AttemptRecord | undefined {
  return context.attempts[context.attempts.length - 1];
}
