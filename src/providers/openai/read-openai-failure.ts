import { failureKindOfStatus, type UpstreamFailure } from '../../model/upstream-failure.js';

/**
 * An OpenAI-compatible server's error (openai-openapi `ErrorResponse`, `{"error":{message,
 * type, param, code}}`; vLLM's older flat `{"object":"error","message",...}`; plain text
 * from a proxy) in neutral terms. The status decides the kind unless OpenAI's type is more
 * precise (insufficient_quota arrives as a 429 but is not a rate limit).
 */
export function readOpenAIFailure(status: number, body: Record<string, unknown> | string | undefined): UpstreamFailure {
  if (body === undefined || typeof body === 'string') {
    const text = typeof body === 'string' ? body.trim().slice(0, 2000) : '';
    return { status, kind: failureKindOfStatus(status), message: text || `The upstream provider answered with HTTP ${status}.` };
  }
  const nested = body.error !== null && typeof body.error === 'object' ? (body.error as Record<string, unknown>) : body;
  const message = typeof nested.message === 'string' ? nested.message : `The upstream provider answered with HTTP ${status}.`;
  const type = typeof nested.type === 'string' ? nested.type : undefined;
  const code = nested.code === undefined || nested.code === null ? type : String(nested.code);
  return {
    status,
    kind: type === 'insufficient_quota' ? 'quota' : failureKindOfStatus(status),
    message,
    code,
    param: typeof nested.param === 'string' ? nested.param : undefined,
  };
}
