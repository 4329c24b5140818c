import { describeRequestIssue } from './describe-request-issue.js';
import { invalidRequest } from './invalid-request.js';
import { messagesRequestSchema, type MessagesRequest } from './messages-request.js';
import { readJsonBody } from './read-json-body.js';

/** What, besides the body, decides how Anthropic validates a request: two request headers. */
export interface MessagesRequestHeaders {
  /** `anthropic-version`; "2026-10-21" and later refuse temperature, top_p and top_k. */
  anthropicVersion?: string | undefined;
  /** The values of `anthropic-beta` (comma-separated in the header). */
  betas?: readonly string[] | undefined;
}

/**
 * API version 2026-10-21 removed the sampling parameters: Anthropic answers 400 to any of
 * them, even at their defaults, and the SDKs that send this version (TypeScript 1.x,
 * Python 2.x) no longer have them (@anthropic-ai/sdk 1.0.0 changelog, "add support for new
 * API version 2026-10-21"; `MessageCreateParamsBase` in 1.14.0 has none of the three).
 */
const SAMPLING_REMOVED_IN = '2026-10-21';
const SAMPLING_PARAMETERS = ['temperature', 'top_p', 'top_k'] as const;

/**
 * With interleaved thinking the budget covers the whole turn across tool calls and may
 * exceed max_tokens (https://docs.claude.com/en/docs/build-with-claude/extended-thinking#interleaved-thinking).
 */
const INTERLEAVED_THINKING_BETA = 'interleaved-thinking-2025-05-14';

/**
 * The body of `POST /v1/messages` as a validated MessagesRequest, or a GatewayError 400
 * whose message names the field the way Anthropic does (`max_tokens: Field required`).
 * Unknown fields are kept (messages-request.ts says why). Pure: the headers that change the
 * rules are passed in.
 *
 * Beyond the schema, two of Anthropic's rules that depend on headers: the sampling
 * parameters under API version 2026-10-21 and later, and `thinking.budget_tokens` below
 * `max_tokens` unless the interleaved-thinking beta is on.
 */
export function parseMessagesRequest(body: Buffer, headers: MessagesRequestHeaders = {}): MessagesRequest {
  const value = readJsonBody(body);
  const result = messagesRequestSchema.safeParse(value);
  if (!result.success) throw describeRequestIssue(result.error, value);
  const request = result.data;

  if (isVersionAtLeast(headers.anthropicVersion, SAMPLING_REMOVED_IN)) {
    for (const parameter of SAMPLING_PARAMETERS) {
      if (request[parameter] !== undefined) throw invalidRequest(parameter, 'Extra inputs are not permitted', 'unsupported_parameter');
    }
  }
  const thinking = request.thinking;
  if (thinking?.type === 'enabled' && thinking.budget_tokens >= request.max_tokens && !headers.betas?.includes(INTERLEAVED_THINKING_BETA)) {
    throw invalidRequest('thinking.budget_tokens', `must be less than max_tokens (${request.max_tokens}): thinking tokens count towards max_tokens.`);
  }
  return request;
}

/** API versions are dates, YYYY-MM-DD, which compare as strings. */
function isVersionAtLeast(version: string | undefined, minimum: string): boolean {
  return version !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= minimum;
}
