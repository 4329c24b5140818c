import { countTokensRequestSchema, type CountTokensRequest } from './count-tokens-request.js';
import { describeRequestIssue } from './describe-request-issue.js';
import { readJsonBody } from './read-json-body.js';

/**
 * The body of `POST /v1/messages/count_tokens` as a validated CountTokensRequest, or a
 * GatewayError 400 naming the field the way Anthropic does (see parseMessagesRequest).
 */
export function parseCountTokensRequest(body: Buffer): CountTokensRequest {
  const value = readJsonBody(body);
  const result = countTokensRequestSchema.safeParse(value);
  if (!result.success) throw describeRequestIssue(result.error, value);
  return result.data;
}
