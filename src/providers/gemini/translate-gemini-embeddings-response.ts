import { embeddingInputs, type EmbeddingsRequest } from '../../api/openai-embeddings/embeddings-request.js';
import { writeEmbeddingsResponse } from '../../api/openai-embeddings/write-embeddings-response.js';
import { parseJsonObject } from '../parse-json.js';
import type { TranslatedResponse, TranslationContext, UpstreamResponse } from '../provider-adapter.js';
import { unreadableResponse } from '../unreadable-upstream.js';
import { toOpenAIError } from './to-openai-error.js';

/**
 * A Gemini embeddings answer (https://ai.google.dev/api/embeddings) in OpenAI's form:
 * `{embedding:{values}}` (embedContent) or `{embeddings:[{values}]}` (batchEmbedContents,
 * in request order) becomes `{object:"list", data:[{object:"embedding", index, embedding}]}`,
 * each vector as floats or base64 float32 as the client asked (`encoding_format`, float by
 * default). Gemini reports no usage for embeddings: the answer is completed with the
 * prompt tokens the gateway counts (`completeUsage`), metered as an estimate. A Gemini error
 * keeps its status and gets OpenAI's error body; an answer with a vector missing is a 502.
 */
export function translateGeminiEmbeddingsResponse(request: EmbeddingsRequest, response: UpstreamResponse, context: TranslationContext): TranslatedResponse {
  if (response.status >= 400) return toOpenAIError(response);
  const vectors = readVectors(parseJsonObject(response.body));
  const inputs = embeddingInputs(request.input);
  const expected = inputs.kind === 'text' ? inputs.texts.length : inputs.tokens.length;
  if (vectors === undefined || vectors.length !== expected) return unreadableResponse();
  const answer = (promptTokens: number): TranslatedResponse => {
    const body = writeEmbeddingsResponse(vectors, context.model, promptTokens, request.encoding_format ?? 'float');
    return {
      status: response.status,
      body: Buffer.from(JSON.stringify(body)),
      headers: { 'content-type': 'application/json' },
      usage: { promptTokens, completionTokens: 0, totalTokens: promptTokens, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
      model: undefined,
    };
  };
  return { ...answer(0), usage: undefined, completeUsage: answer };
}

function readVectors(body: Record<string, unknown> | undefined): number[][] | undefined {
  if (body === undefined) return undefined;
  const list = Array.isArray(body.embeddings) ? (body.embeddings as unknown[]) : body.embedding !== undefined ? [body.embedding] : undefined;
  if (list === undefined) return undefined;
  const vectors: number[][] = [];
  for (const item of list) {
    const values = (item as { values?: unknown } | null)?.values;
    if (!Array.isArray(values) || !values.every((value) => typeof value === 'number')) return undefined;
    vectors.push(values as number[]);
  }
  return vectors;
}
