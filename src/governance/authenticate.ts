import { GatewayError } from '../errors.js';
import type { Keyring } from './keyring.js';
import type { VirtualKey } from './virtual-key.js';

/**
 * The client's key, from `Authorization: Bearer <key>` (OpenAI clients) or `x-api-key`
 * (Anthropic-style clients). Returns undefined when the gateway is open and no valid key
 * was given; throws a 401 that says what is wrong otherwise.
 */
export async function authenticate(credential: string | undefined, keyring: Keyring, now: number): Promise<VirtualKey | undefined> {
  if (credential === undefined || credential === '') {
    if (!keyring.required) return undefined;
    throw unauthorized('missing_api_key', 'You did not provide an API key. Send it as "Authorization: Bearer <key>" (or "x-api-key: <key>").');
  }
  const key = await keyring.find(credential, now);
  if (key === undefined) {
    // An open gateway ignores keys it does not know (clients must send some key, e.g. the OpenAI SDK).
    if (!keyring.required) return undefined;
    // No part of the key is echoed: error bodies end up in logs.
    throw unauthorized('invalid_api_key', 'Incorrect API key provided. Keys are issued by the gateway operator.');
  }
  if (key.revokedAt !== undefined && key.revokedAt <= now) {
    throw unauthorized('revoked_api_key', `The API key '${key.alias}' was revoked on ${new Date(key.revokedAt).toISOString()}.`);
  }
  if (key.expiresAt !== undefined && key.expiresAt <= now) {
    throw unauthorized('expired_api_key', `The API key '${key.alias}' expired on ${new Date(key.expiresAt).toISOString()}.`);
  }
  return key;
}

/** The client's credential from the request headers, before they are stripped. */
export function credentialFrom(headers: Readonly<Record<string, string>>): string | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (match) return match[1]!.trim();
  }
  return headers['x-api-key']?.trim() || undefined;
}

function unauthorized(code: string, message: string): GatewayError {
  return new GatewayError({ status: 401, code, message, type: 'authentication_error', retryable: false });
}
