/**
 * What the client lets the cache do for this request:
 * - use: read, and fill on a miss (the default);
 * - refresh: skip the lookup, and store the new answer (`Cache-Control: no-cache`);
 * - bypass: neither read nor store (`Cache-Control: no-store`, or `x-gateway-cache: bypass`).
 * RFC 9111 5.2.1: no-cache asks that a stored response not be used without revalidation
 * (here: a fresh provider answer), no-store that nothing of this exchange be stored.
 */
export type CacheDirective = 'use' | 'refresh' | 'bypass';

/** The request (and response) header that says what the cache did, and lets a client bypass it. */
export const CACHE_STATUS_HEADER = 'x-gateway-cache';

/** The response header of a semantic hit: the cosine similarity of the request's last turn to the stored one, 3 decimals. */
export const CACHE_SIMILARITY_HEADER = 'x-gateway-cache-similarity';

/** Reads Cache-Control and x-gateway-cache from the client's request headers (lower-case names). */
export function cacheDirectiveOf(headers: Readonly<Record<string, string>>): CacheDirective {
  if ((headers[CACHE_STATUS_HEADER] ?? '').trim().toLowerCase() === 'bypass') return 'bypass';
  const directives = (headers['cache-control'] ?? '').toLowerCase().split(',').map((directive) => directive.trim().split('=')[0]);
  if (directives.includes('no-store')) return 'bypass';
  if (directives.includes('no-cache')) return 'refresh';
  return 'use';
}

/**
 * Whether the request asks for a reproducible answer: temperature 0, or a seed (OpenAI's
 * `seed`, best-effort determinism by its documentation). Other requests sample, and
 * serving one stored sample for all of them would change what the client asked for.
 */
export function isDeterministic(request: unknown): boolean {
  if (request === null || typeof request !== 'object') return false;
  const fields = request as { temperature?: unknown; seed?: unknown };
  return fields.temperature === 0 || (typeof fields.seed === 'number' && Number.isFinite(fields.seed));
}
