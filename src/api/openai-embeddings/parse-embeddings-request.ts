import { GatewayError } from '../../errors.js';
import { describeChatRequestIssue } from '../../gateway/describe-chat-request-issue.js';
import { findJsonNestingExcess } from '../../json/find-json-nesting-excess.js';
import { jsonNestingTooDeep } from '../../json/refuse-deep-json.js';
import { embeddingsRequestSchema, type EmbeddingsRequest } from './embeddings-request.js';

/**
 * The raw body of POST /v1/embeddings as a validated EmbeddingsRequest, or an OpenAI-format
 * 400 naming the field (`input`, `input[2]`, `dimensions`, `encoding_format`), worded as
 * OpenAI words its own (describeChatRequestIssue, which reads any zod issue).
 */
export function parseEmbeddingsRequest(body: Buffer): EmbeddingsRequest {
  if (body.length === 0) throw invalidRequest('The request body is empty; expected a JSON embeddings request.', null, 'missing_body');
  const text = body.toString('utf8');
  // Valid input nests at most two arrays deep; anything deeper is refused before it is parsed.
  if (findJsonNestingExcess(text) !== -1) throw jsonNestingTooDeep(null);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`The request body is not valid JSON: ${(error as Error).message}.`, null, 'invalid_json');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidRequest('The request body must be a JSON object.', null, 'invalid_json');
  const result = embeddingsRequestSchema.safeParse(parsed);
  if (!result.success) throw describeChatRequestIssue(result.error, parsed);
  return result.data;
}

function invalidRequest(message: string, param: string | null, code: string): GatewayError {
  return new GatewayError({ status: 400, code, message, param, type: 'invalid_request_error', retryable: false });
}
