import { embeddingInputs, type EmbeddingsRequest } from '../../api/openai-embeddings/embeddings-request.js';
import type { AttemptTarget, UpstreamRequest } from '../provider-adapter.js';
import { unsupportedParameter } from '../translation-errors.js';

/** Gemini's limit on one batchEmbedContents call ("at most 100 requests can be in one batch"). */
export const GEMINI_MAX_BATCH_EMBEDDINGS = 100;

/** The request fields a Gemini embedding request can honour; `user` has no counterpart and changes nothing. */
const KNOWN_FIELDS = new Set(['model', 'input', 'encoding_format', 'dimensions', 'user']);

/**
 * An OpenAI embeddings request for the Gemini API (https://ai.google.dev/api/embeddings):
 * - one string: `models/{model}:embedContent` with `{content:{parts:[{text}]}}`;
 * - an array of strings: `models/{model}:batchEmbedContents` with one request per text,
 *   each naming the model (Gemini requires it to match the path's);
 * - `dimensions` becomes `outputDimensionality`; `encoding_format` is the gateway's to honour
 *   (Gemini answers floats), and `user` is left out.
 * Refused with a 400 naming the field: token arrays (Gemini embeds text only), more than
 * GEMINI_MAX_BATCH_EMBEDDINGS inputs, and any other field.
 */
export function buildGeminiEmbeddingsRequest(request: EmbeddingsRequest, target: AttemptTarget): UpstreamRequest {
  for (const [field, value] of Object.entries(request)) {
    if (value !== undefined && value !== null && !KNOWN_FIELDS.has(field)) {
      throw unsupportedParameter(field, `'${field}' is not an embeddings parameter the gateway can translate for Gemini.`);
    }
  }
  const inputs = embeddingInputs(request.input);
  if (inputs.kind === 'tokens') {
    throw unsupportedParameter('input', "Gemini embeds text only: send 'input' as a string or an array of strings, not token ids.");
  }
  if (inputs.texts.length > GEMINI_MAX_BATCH_EMBEDDINGS) {
    throw unsupportedParameter('input', `Gemini embeds at most ${GEMINI_MAX_BATCH_EMBEDDINGS} inputs per request; this one has ${inputs.texts.length}. Split it.`);
  }
  const resource = `models/${target.model}`;
  const dimensions = request.dimensions === undefined ? {} : { outputDimensionality: request.dimensions };
  const one = (text: string) => ({ content: { parts: [{ text }] }, ...dimensions });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.credential !== undefined) headers['x-goog-api-key'] = target.credential;
  const base = `${target.pathPrefix}/models/${encodeURIComponent(target.model)}`;
  if (typeof request.input === 'string') {
    return { path: `${base}:embedContent`, headers, body: Buffer.from(JSON.stringify(one(request.input))) };
  }
  const body = { requests: inputs.texts.map((text) => ({ model: resource, ...one(text) })) };
  return { path: `${base}:batchEmbedContents`, headers, body: Buffer.from(JSON.stringify(body)) };
}
