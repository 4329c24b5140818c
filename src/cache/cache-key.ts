import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';

/**
 * Request fields that only say how the answer travels or who the end user is, never what
 * the answer is: left out of the key so a streamed and a non-streamed request, or two end
 * users of one tenant, share an entry. OpenAI: `stream`, `stream_options`, `user`;
 * Anthropic Messages: `stream`, `metadata.user_id`.
 */
const TRANSPORT_FIELDS = new Set(['stream', 'stream_options', 'user']);

/** Object keys sorted at every depth; strict: a value JSON cannot carry is an error, never a silent key. */
const stableStringify = configure({ deterministic: true, strict: true, bigint: false, circularValue: Error });

/** What identifies one cached answer. */
export interface CacheKeyInput {
  /** The tenant the answer belongs to: "key:<virtual key id>", or "global" when configured so. */
  scope: string;
  /** The endpoint's stable name (chat.completions, messages). */
  endpoint: string;
  /** The model alias the client asked for. */
  model: string;
  /** The parsed request body (already validated by the endpoint). */
  request: unknown;
  /** Request headers that change the answer (anthropic-version, anthropic-beta), when the endpoint has any. */
  headers?: Readonly<Record<string, string | undefined>> | undefined;
  /** More that must match, derived from the request by the caller (the semantic guards' signature); absent: the key is as without it. */
  extra?: string | undefined;
}

/**
 * The request's canonical form: transport-only fields removed, then serialized with object
 * keys sorted, so key order and whitespace in the client's JSON do not matter while every
 * field that changes the answer (messages, temperature, seed, tools, max_tokens...) does.
 */
export function canonicalRequest(request: unknown): string {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) return stableStringify(request) ?? 'null';
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request)) {
    if (TRANSPORT_FIELDS.has(name) || value === undefined) continue;
    if (name === 'metadata' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const { user_id: _userId, ...rest } = value as Record<string, unknown>;
      if (Object.keys(rest).length > 0) kept.metadata = rest;
      continue;
    }
    kept[name] = value;
  }
  return stableStringify(kept) ?? 'null';
}

/** sha256 (hex) over the scope, endpoint, model alias, answer-changing headers, the canonical request and `extra` when given. */
export function cacheKey(input: CacheKeyInput): string {
  const hash = createHash('sha256');
  // Length-prefixed parts: no value can run into the next and collide.
  const headers = stableStringify(input.headers ?? {}) ?? '{}';
  const parts = [input.scope, input.endpoint, input.model, headers, canonicalRequest(input.request)];
  if (input.extra !== undefined) parts.push(input.extra);
  for (const part of parts) {
    hash.update(`${Buffer.byteLength(part)}:`);
    hash.update(part);
  }
  return hash.digest('hex');
}
