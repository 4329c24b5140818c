import { hasAttemptProcessor } from '../../config/runtime.js';
import { METADATA_NAMESPACE, OBSERVE_HEADER, OBSERVE_HEADER_VALUE, REQUEST_ID_METADATA_KEY, ROUTE_HEADER } from '../../config/envoy-contract.js';
import { GatewayError } from '../../errors.js';
import { writeAttemptBrief } from '../../gateway/attempt-brief.js';
import { headerMutation } from '../../extproc/headers.js';
import { toProtoStruct } from '../../extproc/proto-struct.js';
import { continueRequestBody } from '../../extproc/responses.js';
import { upstreamRequestMutation } from '../../extproc/upstream-request-mutation.js';
import { routePausedFor } from '../../resilience/route-pause.js';
import { needsOnlyObserving } from '../needs-only-observing.js';
import { Observation } from '../observation.js';
import { pausedModel } from '../paused-model.js';
import { refuse } from '../refuse.js';
import type { RequestStage } from '../request-stage.js';

/**
 * The last stage: hands the request to Envoy's router with the routing header, and the
 * request id as dynamic metadata (the attempt processor finds the request by it). Always answers.
 */
export const forward: RequestStage = {
  name: 'forward',
  run(exchange) {
    const context = exchange.forwarding!;
    const { store, pauses, meter, now } = exchange.dependencies;
    // Every target asked for quiet: answered at once (after authentication and admission, whose
    // hold is released), and nothing is sent before the pause ends.
    const paused = routePausedFor(context.route, pauses);
    if (paused !== undefined) return refuse(exchange, pausedModel(context.route.alias, paused), context.route.alias);
    // Envoy's ids are unique; a trusted client's may not be, and the attempt processor finds a request by its id.
    if (store.get(context.id) !== undefined) {
      return refuse(
        exchange,
        new GatewayError({ status: 409, code: 'request_id_in_use', type: 'invalid_request_error', message: `Another request with x-request-id '${context.id}' is in flight; send each request with its own id.` }),
        context.route.alias,
      );
    }
    if (!store.put(context.id, context)) {
      return refuse(
        exchange,
        new GatewayError({ status: 503, code: 'gateway_overloaded', message: 'The gateway has too many requests in flight; retry shortly.', headers: { 'retry-after': '1' } }),
        context.route.alias,
      );
    }
    exchange.context = context;
    exchange.lifecycle.forwarded();
    meter.start(context.route.alias);
    // The routing header only takes effect together with clear_route_cache (Envoy caches the route before ext_proc runs).
    const route: Record<string, string> = { [ROUTE_HEADER]: context.route.cluster };
    // The attempt processor may run in another sidecar process: what it needs travels with the request (gateway/attempt-brief.ts).
    const metadata = toProtoStruct({ [METADATA_NAMESPACE]: { [REQUEST_ID_METADATA_KEY]: context.id, ...writeAttemptBrief(context) } });
    if (hasAttemptProcessor(context.route)) {
      // Several targets: each try's provider request is written by the attempt processor, from the
      // client's request as parsed here (JSON: guardrail masks and truncation included), parsed once per try.
      const body = Buffer.from(JSON.stringify(context.request));
      const reply = continueRequestBody(headerMutation({ ...route, 'content-length': String(body.length) }), true, body);
      reply.dynamic_metadata = metadata;
      return reply;
    }
    // One target: every try goes to the same provider, so its request is written here, once. Envoy
    // keeps a content-length in a buffered body reply only if it matches the new body.
    const target = context.route.targets[0]!;
    const upstream = context.prepared.get(target.id)!;
    context.attempts.push({ target, startedAt: now() });
    const observed = exchange.dependencies.observed;
    if (observed !== undefined && needsOnlyObserving(exchange, context)) {
      // The observer filter runs for this request (render-observer-filter.ts); the route removes the header.
      exchange.observation = new Observation();
      observed.add(context.id, exchange);
      route[OBSERVE_HEADER] = OBSERVE_HEADER_VALUE;
    }
    const reply = continueRequestBody(upstreamRequestMutation(upstream, { ...route, 'content-length': String(upstream.body.length) }), true, upstream.body);
    // The attempt processor reads each try's answer (a request to pause) with this brief.
    reply.dynamic_metadata = metadata;
    return reply;
  },
};
