import { GatewayError } from '../../errors.js';
import { describeChatRequestIssue } from '../../gateway/describe-chat-request-issue.js';
import { findJsonNestingExcess } from '../../json/find-json-nesting-excess.js';
import { jsonNestingTooDeep } from '../../json/refuse-deep-json.js';
import { moderationsRequestSchema, type ModerationsRequest } from './moderations-request.js';

/**
 * The raw body of POST /v1/moderations as a validated ModerationsRequest, or an OpenAI-format
 * 400 naming the field (`model`, `input`, `input[1]`), worded as OpenAI words its own.
 */
export function parseModerationsRequest(body: Buffer): ModerationsRequest {
  if (body.length === 0) throw invalidRequest('The request body is empty; expected a JSON moderations request.', 'missing_body');
  const text = body.toString('utf8');
  // Nesting is bounded before anything walks the parsed value (the gateway's own limit).
  if (findJsonNestingExcess(text) !== -1) throw jsonNestingTooDeep(null);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`The request body is not valid JSON: ${(error as Error).message}.`, 'invalid_json');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidRequest('The request body must be a JSON object.', 'invalid_json');
  const result = moderationsRequestSchema.safeParse(parsed);
  if (!result.success) throw describeChatRequestIssue(result.error, parsed);
  return result.data;
}

function invalidRequest(message: string, code: string): GatewayError {
  return new GatewayError({ status: 400, code, message, param: null, type: 'invalid_request_error', retryable: false });
}
