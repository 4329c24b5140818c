import { GatewayError } from '../errors.js';
import { findJsonNestingExcess } from '../json/find-json-nesting-excess.js';
import { jsonPathAt } from '../json/json-path-at.js';
import { jsonNestingTooDeep } from '../json/refuse-deep-json.js';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '../providers/openai/openai-api.js';
import { describeChatRequestIssue } from './describe-chat-request-issue.js';
import { toParam } from './to-param.js';

export { toParam } from './to-param.js';

/**
 * Turns the raw request body into a validated ChatCompletionRequest, or a 400 that names
 * the offending parameter the way OpenAI does (`messages[0].content`). A body nested deeper
 * than MAX_JSON_NESTING_DEPTH is refused before it is parsed, so that nothing downstream
 * (validation, translation, serialisation, token estimation) walks an unbounded value.
 */
export function parseChatRequest(body: Buffer): ChatCompletionRequest {
  if (body.length === 0) {
    throw invalidRequest('The request body is empty; expected a JSON chat completion request.', null, 'missing_body');
  }
  const text = body.toString('utf8');
  const excess = findJsonNestingExcess(text);
  if (excess !== -1) throw jsonNestingTooDeep(nestingParam(jsonPathAt(text, excess, 4)));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`The request body is not valid JSON: ${(error as Error).message}.`, null, 'invalid_json');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidRequest('The request body must be a JSON object.', null, 'invalid_json');
  }
  const result = chatCompletionRequestSchema.safeParse(parsed);
  if (!result.success) throw describeChatRequestIssue(result.error, parsed);
  return result.data;
}

/**
 * The parameter a too-deep value belongs to: a tool's parameters or a response schema by
 * name, a message or tool by its index and field, anything else by its top-level name.
 */
function nestingParam(path: readonly (string | number)[]): string | null {
  const [first, second, third, fourth] = path;
  if (first === 'tools' && third === 'function' && fourth === 'parameters') return toParam(path.slice(0, 4));
  if (first === 'response_format' && second === 'json_schema' && third === 'schema') return toParam(path.slice(0, 3));
  if ((first === 'messages' || first === 'tools' || first === 'functions') && typeof second === 'number' && typeof third === 'string') return toParam(path.slice(0, 3));
  return typeof first === 'string' ? toParam([first]) : null;
}

function invalidRequest(message: string, param: string | null, code: string): GatewayError {
  return new GatewayError({ status: 400, code, message, param, type: 'invalid_request_error', retryable: false });
}
