import { defaultTypeForStatus } from '../../errors.js';
import type { TranslatedResponse, UpstreamResponse } from '../provider-adapter.js';

/**
 * An OpenAI-compatible server's error response, made into OpenAI's exact error shape.
 * OpenAI's own errors pass through untouched; vLLM's older flat `{"object":"error",...}`
 * bodies, integer codes and plain-text errors are rewritten so an SDK can parse them.
 */
export function toOpenAIError(response: UpstreamResponse): TranslatedResponse {
  const text = response.body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const record = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  const nested = record?.error;
  if (nested !== null && typeof nested === 'object' && typeof (nested as Record<string, unknown>).message === 'string') {
    const error = nested as Record<string, unknown>;
    if (typeof error.code !== 'number' && 'type' in error) return passThrough(response);
    return rewrite(response, String(error.message), error.type, error.code, error.param);
  }
  if (record && typeof record.message === 'string') return rewrite(response, record.message, record.type, record.code, record.param);
  const message = text.trim().slice(0, 2000) || `The upstream provider answered with HTTP ${response.status}.`;
  return rewrite(response, message, undefined, undefined, undefined);
}

function passThrough(response: UpstreamResponse): TranslatedResponse {
  return { status: response.status, body: undefined, usage: undefined, model: undefined };
}

function rewrite(response: UpstreamResponse, message: string, type: unknown, code: unknown, param: unknown): TranslatedResponse {
  const body = {
    error: {
      message,
      type: typeof type === 'string' ? type : defaultTypeForStatus(response.status),
      param: typeof param === 'string' ? param : null,
      code: code === undefined || code === null ? null : String(code),
    },
  };
  return {
    status: response.status,
    body: Buffer.from(JSON.stringify(body)),
    headers: { 'content-type': 'application/json' },
    usage: undefined,
    model: undefined,
  };
}
