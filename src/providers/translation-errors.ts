import { GatewayError } from '../errors.js';

/**
 * The two refusals a translating adapter gives, both 400 `invalid_request_error` naming the
 * parameter, so an OpenAI SDK raises BadRequestError with `param` set and nothing is sent:
 * - unsupportedParameter: the provider has no way to honour this parameter or value;
 * - invalidValue: the value cannot be translated (it would be wrong for any provider, or it
 *   breaks a rule the provider documents).
 */
export function unsupportedParameter(param: string, message: string): GatewayError {
  return new GatewayError({ status: 400, code: 'unsupported_parameter', message, param, type: 'invalid_request_error' });
}

export function invalidValue(param: string, message: string): GatewayError {
  return new GatewayError({ status: 400, code: 'invalid_value', message, param, type: 'invalid_request_error' });
}

/**
 * Refuses every top-level request field a translator does not know. OpenAI adds parameters
 * often; passing an OpenAI-kind upstream lets OpenAI judge them, but a translator that does
 * not know a field would drop it, and the client would get an answer to another question.
 */
export function refuseUnknownFields(request: Readonly<Record<string, unknown>>, known: ReadonlySet<string>, provider: string): void {
  for (const [field, value] of Object.entries(request)) {
    if (value === undefined || value === null || known.has(field)) continue;
    throw unsupportedParameter(field, `"${field}" is not a Chat Completions parameter the gateway can translate for ${provider}.`);
  }
}
