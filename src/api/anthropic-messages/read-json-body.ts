import { invalidRequest } from './invalid-request.js';
import { findJsonNestingExcess, MAX_JSON_NESTING_DEPTH } from '../../json/find-json-nesting-excess.js';

/**
 * A request body as a JSON object, or a 400 in Anthropic's wording: empty, nested deeper
 * than MAX_JSON_NESTING_DEPTH (checked on the text, before anything walks the value), not
 * JSON, or JSON that is not an object.
 */
export function readJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) throw invalidRequest(null, 'The request body is empty; expected a JSON object.', 'missing_body');
  const text = body.toString('utf8');
  if (findJsonNestingExcess(text) !== -1) {
    throw invalidRequest(null, `The request body nests JSON more than ${MAX_JSON_NESTING_DEPTH} levels deep; this gateway accepts at most ${MAX_JSON_NESTING_DEPTH}.`, 'json_nesting_too_deep');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalidRequest(null, `The request body is not valid JSON: ${(error as Error).message}.`, 'invalid_json');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidRequest(null, 'The request body must be a JSON object.', 'invalid_json');
  }
  return value as Record<string, unknown>;
}
