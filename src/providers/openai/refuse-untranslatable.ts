import { invalidRequest } from '../../api/anthropic-messages/invalid-request.js';
import type { GatewayError } from '../../errors.js';

/**
 * A field of an Anthropic request that an OpenAI-compatible target cannot honour: a 400
 * invalid_request_error naming the field in Anthropic's way (`messages.0.content.1.source:
 * ...`), rendered by the caller in Anthropic's error shape. Dropping the field instead would
 * answer a different question than the client asked.
 */
export function untranslatable(path: string, message: string): GatewayError {
  return invalidRequest(path, message, 'unsupported_parameter');
}

/**
 * Refuses the first field of `object` that `handled` does not list (null and absent values
 * count as not sent). Anthropic's schemas let unknown fields through for Anthropic targets
 * to judge; a translator that does not know a field cannot know what dropping it would change.
 *
 * @param path dotted path of `object` ("" for the request itself).
 */
export function refuseUnhandledFields(object: Readonly<Record<string, unknown>>, handled: ReadonlySet<string>, path: string): void {
  for (const field in object) {
    if (handled.has(field) || object[field] === undefined || object[field] === null) continue;
    const fieldPath = path ? `${path}.${field}` : field;
    throw untranslatable(fieldPath, `The gateway cannot translate "${field}" for an OpenAI-compatible model.`);
  }
}
