import type { ProcessingResponse } from '../extproc/messages.js';
import type { Exchange } from './exchange.js';

/**
 * What a stage decided: undefined, the next stage runs; a reply, the request is answered
 * with it and no later stage runs (a refusal, a local answer, a cache hit, or the routing
 * reply that hands the request to Envoy's router).
 */
export type StageResult = ProcessingResponse | undefined;

/**
 * One step of the request body phase (admit, route, input guardrails, cache lookup ...).
 * A stage reads and records the request's facts on its Exchange. It is synchronous when it
 * can be (the common case, and the cheap one) and returns a promise when it must wait (a
 * store, the tokenizer, an analyser). A thrown error, or a rejected promise, is refused in
 * the client's format, naming `exchange.model`.
 */
export interface RequestStage {
  /** For logs and tests: what the stage does, in a word or two. */
  readonly name: string;
  run(exchange: Exchange): StageResult | Promise<StageResult>;
}
