import type { ChatCompletionRequest } from '../openai/openai-api.js';
import type {
  AttemptTarget,
  ProviderAdapter,
  StreamTranslator,
  TranslatedResponse,
  TranslationContext,
  UpstreamRequest,
  UpstreamResponse,
} from '../provider-adapter.js';
import { convertRequestToGemini } from './convert-request.js';
import { convertResponseFromGemini } from './convert-response.js';
import { generateContentResponseSchema } from './gemini-api.js';
import { GeminiStreamTranslator } from './gemini-stream-translator.js';
import { toOpenAIError } from './to-openai-error.js';
import { usageFromGemini } from './usage-from-gemini.js';
import { parseJson } from '../parse-json.js';
import { unreadableResponse as unreadable } from '../unreadable-upstream.js';

/**
 * The Gemini API (generativelanguage v1beta, https://ai.google.dev/api/generate-content):
 * the model goes in the path, `:generateContent` answers whole and
 * `:streamGenerateContent?alt=sse` streams server-sent events (without alt=sse Google
 * streams one JSON array instead). The key travels in `x-goog-api-key`
 * (https://ai.google.dev/gemini-api/docs/api-key), never in the URL, where it would be logged.
 */
export const geminiAdapter: ProviderAdapter = {
  buildRequest(request: ChatCompletionRequest, target: AttemptTarget): UpstreamRequest {
    const model = `${target.pathPrefix}/models/${encodeURIComponent(target.model)}`;
    const path = request.stream ? `${model}:streamGenerateContent?alt=sse` : `${model}:generateContent`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (target.credential !== undefined) headers['x-goog-api-key'] = target.credential;
    return { path, headers, body: Buffer.from(JSON.stringify(convertRequestToGemini(request, target))) };
  },

  // The refusals are found while converting; the body is neither serialised nor copied.
  checkRequest(request: ChatCompletionRequest, target: AttemptTarget): void {
    convertRequestToGemini(request, target);
  },

  translateResponse(response: UpstreamResponse, context: TranslationContext): TranslatedResponse {
    if (response.status >= 400) return toOpenAIError(response);
    const parsed = generateContentResponseSchema.safeParse(parseJson(response.body));
    if (!parsed.success) return unreadable();
    const completion = convertResponseFromGemini(parsed.data, context);
    return {
      status: response.status,
      body: Buffer.from(JSON.stringify(completion)),
      headers: { 'content-type': 'application/json' },
      usage: parsed.data.usageMetadata ? usageFromGemini(parsed.data.usageMetadata) : undefined,
      model: parsed.data.modelVersion ?? undefined,
    };
  },

  createStreamTranslator(context: TranslationContext): StreamTranslator {
    return new GeminiStreamTranslator(context);
  },
};
