/** A provider body as JSON, or undefined when it is not JSON: translators decide what a bad body means. */
export function parseJson(body: Buffer | string): unknown {
  try {
    return JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The same, for bodies that must be objects. */
export function parseJsonObject(body: Buffer | string): Record<string, unknown> | undefined {
  const value = parseJson(body);
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
