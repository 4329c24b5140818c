import { continueRequestBody } from '../../extproc/responses.js';
import type { RequestStage } from '../request-stage.js';

/**
 * The stream may have ended while governance (or a shared cache store) was asked: the
 * admission is then released by the lifecycle, and nothing goes on (Envoy is gone; the
 * reply only completes the exchange).
 */
export const confirmAdmission: RequestStage = {
  name: 'confirm admission',
  run(exchange) {
    if (exchange.admissionAsked && !exchange.lifecycle.admitted(exchange.admitted)) return continueRequestBody();
    if (exchange.closed) return continueRequestBody();
    return undefined;
  },
};
