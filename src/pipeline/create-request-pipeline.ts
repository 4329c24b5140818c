import { cacheFill } from './observers/cache-fill.js';
import { meterAndSettle } from './observers/meter-and-settle.js';
import { outputGuardrails } from './observers/output-guardrails.js';
import { type RequestPipeline, requestPipeline } from './request-pipeline.js';
import { admit } from './stages/admit.js';
import { answerFromCache } from './stages/answer-from-cache.js';
import { answerLocally } from './stages/answer-locally.js';
import { cacheLookup } from './stages/cache-lookup.js';
import { chooseRoute } from './stages/choose-route.js';
import { chooseTargets } from './stages/choose-targets.js';
import { confirmAdmission } from './stages/confirm-admission.js';
import { forward } from './stages/forward.js';
import { inputGuardrails } from './stages/input-guardrails.js';
import { readRequest } from './stages/read-request.js';
import { resolveModelRoute } from './stages/resolve-model-route.js';

/**
 * The gateway's request path, in order. Called by the composition root (src/main.ts);
 * stages and observers whose dependency is absent (no cache, no guardrails) pass at once.
 *
 * Request body: read (the endpoint's parser) -> route (src/routing) -> input guardrails ->
 * the model's route -> local answer (count_tokens estimates) -> targets (capabilities,
 * context policy) -> admit (governance) -> cache lookup -> confirm the admission -> cache hit
 * answered -> forward to Envoy's router.
 *
 * Response: output guardrails (may rewrite or cut), then meter and settle, then cache fill:
 * the meter counts what the client gets, and the cache keeps what the client got.
 */
export function createRequestPipeline(): RequestPipeline {
  return requestPipeline(
    [readRequest, chooseRoute, inputGuardrails, resolveModelRoute, answerLocally, chooseTargets, admit, cacheLookup, confirmAdmission, answerFromCache, forward],
    [outputGuardrails, meterAndSettle, cacheFill],
  );
}
