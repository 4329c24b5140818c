import { GatewayError } from '../../errors.js';

/**
 * A 400 invalid_request_error in Anthropic's wording: the message starts with the dotted
 * path of the field at fault, as Anthropic's own do (`max_tokens: Field required`,
 * `messages.0.content.1.source.media_type: Input should be ...`), because Anthropic's error
 * body has no `param` member and the path is how a client learns what to fix. `param`
 * carries the same path for logs and metrics.
 *
 * @param param dotted path (`messages.0.content`), or null when the whole body is at fault.
 * @param code the gateway's stable code (`missing_required_parameter`, `invalid_value`...).
 */
export function invalidRequest(param: string | null, message: string, code = 'invalid_value'): GatewayError {
  return new GatewayError({
    status: 400,
    code,
    type: 'invalid_request_error',
    param,
    message: param ? `${param}: ${message}` : message,
    retryable: false,
  });
}

/** `["messages", 0, "content"]` as Anthropic writes it: `messages.0.content`. */
export function dottedPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}
