import { defaultTypeForStatus, type OpenAIErrorBody } from '../../errors.js';
import { toOpenAIError as toOpenAICompatibleError } from '../openai/to-openai-error.js';
import type { TranslatedResponse, UpstreamResponse } from '../provider-adapter.js';
import { geminiErrorBodySchema, type GeminiError } from './gemini-api.js';

/**
 * A Gemini error response in OpenAI's error shape. The HTTP status is kept (it is what
 * OpenAI SDKs pick their exception class from: 429 RESOURCE_EXHAUSTED stays a rate-limit
 * error, 503 UNAVAILABLE a server error), the message is Google's own, and Google's status
 * name becomes the code ("resource_exhausted"). A RetryInfo detail becomes `retry-after`.
 * Bodies that are not Google's shape are handled as an OpenAI-compatible server's error:
 * OpenAI-shaped ones pass through unchanged, plain text is wrapped.
 */
export function toOpenAIError(response: UpstreamResponse): TranslatedResponse {
  const error = readGeminiError(response.body);
  if (!error) return toOpenAICompatibleError(response);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const retryAfter = retryAfterSeconds(error);
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  return {
    status: response.status,
    body: Buffer.from(JSON.stringify(openAIErrorFromGemini(error, response.status))),
    headers,
    usage: undefined,
    model: undefined,
  };
}

/** The OpenAI error body for a Gemini error object; also used for errors inside a stream. */
export function openAIErrorFromGemini(error: GeminiError, status: number): OpenAIErrorBody {
  return {
    error: {
      message: error.message,
      type: defaultTypeForStatus(status),
      param: null,
      code: error.status ? error.status.toLowerCase() : null,
    },
  };
}

/**
 * The error object of a Google-shaped body, or undefined for anything else. An OpenAI error
 * also nests under `error` but carries `type`, which Google's never does. The streaming
 * method without alt=sse wraps the body in an array, which is accepted too.
 */
function readGeminiError(body: Buffer): GeminiError | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (Array.isArray(value) && value.length === 1) value = value[0];
  const parsed = geminiErrorBodySchema.safeParse(value);
  if (!parsed.success || 'type' in parsed.data.error) return undefined;
  return parsed.data.error;
}

/**
 * Seconds until a retry may succeed, from a google.rpc.RetryInfo detail
 * (https://cloud.google.com/apis/design/errors#retry_info). Its retryDelay is a protobuf
 * Duration, which JSON writes as decimal seconds with an "s" suffix ("34.4s"); retry-after
 * takes whole seconds, so the delay is rounded up.
 */
function retryAfterSeconds(error: GeminiError): number | undefined {
  for (const detail of error.details ?? []) {
    if (detail === null || typeof detail !== 'object') continue;
    const record = detail as Record<string, unknown>;
    if (typeof record['@type'] !== 'string' || !record['@type'].endsWith('google.rpc.RetryInfo')) continue;
    const match = typeof record.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(record.retryDelay) : null;
    if (match?.[1]) return Math.ceil(Number(match[1]));
  }
  return undefined;
}
