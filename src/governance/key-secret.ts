import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Gateway key secrets: `sk-gw-<id>-<secret>`. The id (10 lower-case letters and digits)
 * finds the key without a scan; the 32 random bytes are the secret. Only the SHA-256 of the
 * whole string is stored, and hashes are compared in constant time.
 */
const PREFIX = 'sk-gw-';
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface NewKeySecret {
  id: string;
  secret: string;
  hash: string;
}

export function generateKeySecret(random: (size: number) => Buffer = randomBytes): NewKeySecret {
  const idBytes = random(10);
  const id = [...idBytes].map((byte) => ID_ALPHABET[byte % ID_ALPHABET.length]).join('');
  const secret = `${PREFIX}${id}-${random(32).toString('base64url')}`;
  return { id, secret, hash: hashKeySecret(secret) };
}

export function hashKeySecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}

/** The id inside a generated key, or undefined for a key of another shape (declared keys may be anything). */
export function keyIdOf(secret: string): string | undefined {
  if (!secret.startsWith(PREFIX)) return undefined;
  const rest = secret.slice(PREFIX.length);
  const dash = rest.indexOf('-');
  const id = dash === -1 ? '' : rest.slice(0, dash);
  return /^[a-z0-9]{10}$/.test(id) ? id : undefined;
}

export function hashesEqual(left: string, right: string): boolean {
  const leftBytes = Buffer.from(left, 'utf8');
  const rightBytes = Buffer.from(right, 'utf8');
  return leftBytes.length === rightBytes.length && timingSafeEqual(leftBytes, rightBytes);
}
