import { GatewayError } from '../errors.js';
import { findJsonNestingExcess, MAX_JSON_NESTING_DEPTH } from './find-json-nesting-excess.js';

/**
 * Refuses, with a 400 naming `param`, JSON text from a client that nests deeper than
 * MAX_JSON_NESTING_DEPTH. Call it before parsing a JSON document the client sent inside a
 * string (tool-call `arguments`), so that nothing walks an unbounded value afterwards.
 */
export function refuseDeepJson(text: string, param: string): void {
  if (findJsonNestingExcess(text) === -1) return;
  throw jsonNestingTooDeep(param);
}

/** The refusal for JSON nested deeper than MAX_JSON_NESTING_DEPTH, in OpenAI's error style. */
export function jsonNestingTooDeep(param: string | null): GatewayError {
  const where = param ? `Invalid '${param}'` : 'Invalid request';
  return new GatewayError({
    status: 400,
    code: 'json_nesting_too_deep',
    type: 'invalid_request_error',
    param,
    message: `${where}: JSON nested more than ${MAX_JSON_NESTING_DEPTH} levels deep. This gateway accepts at most ${MAX_JSON_NESTING_DEPTH} levels of nesting.`,
  });
}
