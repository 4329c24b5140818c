import type { ProcessingResponse } from '../../extproc/messages.js';
import { refuse } from '../refuse.js';
import type { RequestStage } from '../request-stage.js';

/**
 * Input guardrails (src/guardrails): the request is checked, and masked or redacted in place,
 * before any target's request is built from it. A refusal when one blocks; a promise when
 * the caller's key must be known first (a declared key attaches guardrails) or an analyser is asked.
 */
export const inputGuardrails: RequestStage = {
  name: 'input guardrails',
  run(exchange) {
    const runtime = exchange.dependencies.guardrails;
    if (runtime === undefined) return undefined;
    const configuration = exchange.view!.configuration;
    const model = exchange.model!;
    const inspect = (keyAlias: string | undefined): ProcessingResponse | Promise<ProcessingResponse | undefined> | undefined => {
      exchange.guard = runtime.guard(configuration, model, keyAlias, { format: exchange.clientFormat, requestId: exchange.requestId, credential: exchange.credential });
      const refusal = exchange.guard?.inspect(exchange.endpoint!.name, exchange.request);
      if (refusal instanceof Promise) return refusal.then((found) => (found === undefined ? undefined : refuse(exchange, found, model)));
      return refusal === undefined ? undefined : refuse(exchange, refusal, model);
    };
    const caller = runtime.policies(configuration).byKey ? exchange.dependencies.governance.identify(exchange.credential) : undefined;
    return caller === undefined ? inspect(undefined) : caller.then((key) => inspect(key?.alias));
  },
};
