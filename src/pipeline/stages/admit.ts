import type { Admission } from '../../governance/governance.js';
import type { RequestStage } from '../request-stage.js';

/**
 * Governance admits the caller for the chosen route: key, model scope, limits and a budget
 * hold (src/governance). The request to forward is built here, once the targets and the key
 * are settled. Whether a request cancelled while governance was asked may go on is decided
 * after the cache lookup (stages/confirm-admission.ts), so an answer that is not used is
 * released exactly once.
 */
export const admit: RequestStage = {
  name: 'admit',
  run(exchange) {
    const { route, choice } = exchange.chosen!;
    const endpoint = exchange.endpoint!;
    const request = exchange.request;
    const admission = exchange.dependencies.governance.admit({ credential: exchange.credential, route, bounds: exchange.bounds, askedRoute: exchange.routeDecision?.route });
    exchange.forwarding = {
      id: exchange.requestId,
      traceId: exchange.traceId,
      startedAt: exchange.startedAt,
      route,
      endpoint,
      request,
      stream: endpoint.isStream(request),
      includeUsage: endpoint.isStream(request) && endpoint.includeUsage(request),
      attempts: [],
      prepared: choice.prepared,
      skipped: choice.skipped,
      routeDecision: exchange.routeDecision,
      droppedParams: exchange.droppedParams,
      droppedTurns: exchange.droppedTurns,
    };
    if (admission === undefined) return undefined;
    exchange.lifecycle.admitting();
    return admission.then((admitted) => {
      admissionAnswered(exchange, admitted);
      return undefined;
    });
  },
};

function admissionAnswered(exchange: Parameters<typeof admit.run>[0], admitted: Admission | undefined): void {
  exchange.admitted = admitted;
  exchange.admissionAsked = true;
  // Guardrail decisions logged from here on name the admitted key.
  if (exchange.guard !== undefined && admitted !== undefined) exchange.guard.keyAlias = admitted.key.alias;
}
