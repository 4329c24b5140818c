import { hasAttemptProcessor } from '../config/runtime.js';
import type { RequestContext } from '../gateway/request-context.js';
import type { Exchange } from './exchange.js';

/**
 * Whether a forwarded request's answer needs only observing (metering, cache fill), so the
 * observer filter may read it without Envoy waiting (sidecar.pass_through_observability_mode):
 * a stream (see below) to one target (a chain's answer may come from a provider that needs
 * translating), whose answers reach this client unchanged (passesSuccessThrough), no output
 * guardrails, and a client that asked for the usage chunk itself (else the gateway removes the
 * one it asked for). Only a 200 answer that comes uncompressed is left to the observer; the
 * router processor decides that at response headers.
 *
 * Streams only: a whole answer is one body message on the router's stream, and measured (bench/
 * observability-ab.ts, bench/README.md item 13) a second gRPC stream per request costs more CPU
 * than that one round trip saves, and no latency; a stream saves a round trip per chunk.
 */
export function needsOnlyObserving(exchange: Exchange, context: RequestContext): boolean {
  if (hasAttemptProcessor(context.route)) return false;
  if (exchange.guard?.watchesAnswer === true) return false;
  const target = context.route.targets[0];
  if (target === undefined) return false;
  const handling = context.endpoint.responseHandling(exchange.dependencies.registry, target.provider.kind, context.request);
  if (handling?.passesSuccessThrough !== true) return false;
  return context.endpoint.isStream(context.request) && context.includeUsage;
}
