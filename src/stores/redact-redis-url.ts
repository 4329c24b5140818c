/**
 * A Redis URL fit for error messages and logs: scheme, host, port and database, never the
 * user or password (`redis://user:secret@host:6379/0` -> `redis://host:6379/0`).
 */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    // An unparseable URL may still hold a password somewhere; show none of it.
    return 'the configured Redis URL';
  }
}

/**
 * The user and password in a Redis URL (raw and decoded), to scrub from messages a driver
 * composed. Parts shorter than 4 characters are left out: scrubbing "p" would mangle every
 * message and protect nothing.
 */
export function redisUrlSecrets(url: string): string[] {
  try {
    const parsed = new URL(url);
    const parts = [parsed.password, parsed.username].flatMap((part) => [part, safeDecode(part)]);
    return [...new Set(parts.filter((part) => part.length >= 4))];
  } catch {
    return [];
  }
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
