import type {
  AttemptTarget,
  ProviderAdapter,
  StreamTranslator,
  TranslatedResponse,
  TranslationContext,
  UpstreamRequest,
  UpstreamResponse,
} from '../provider-adapter.js';
import { usageFromOpenAI } from '../usage.js';
import type { ChatCompletionRequest } from './openai-api.js';
import { OpenAIStreamTranslator } from './openai-stream-translator.js';
import { toOpenAIError } from './to-openai-error.js';
import { parseJsonObject as parseJson } from '../parse-json.js';

/**
 * OpenAI and every server that speaks its Chat Completions API (Ollama, vLLM, Azure's v1
 * endpoint): the request passes through with the provider's model name and usage always
 * requested; the response passes through and is read only for metering.
 */
export const openAIAdapter: ProviderAdapter = {
  passesSuccessThrough: true,

  buildRequest(request: ChatCompletionRequest, target: AttemptTarget): UpstreamRequest {
    const body: Record<string, unknown> = { ...request, model: target.model };
    if (request.stream) {
      // The gateway meters every stream, so it always asks for the usage chunk; the stream
      // translator removes it again when the client did not ask.
      body.stream_options = { ...(request.stream_options ?? {}), include_usage: true };
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (target.credential !== undefined) headers.authorization = `Bearer ${target.credential}`;
    return { path: `${target.pathPrefix}/chat/completions`, headers, body: Buffer.from(JSON.stringify(body)) };
  },

  // Passed through: OpenAI judges every field itself, so nothing is refused here.
  checkRequest(): void {},

  translateResponse(response: UpstreamResponse, _context: TranslationContext): TranslatedResponse {
    if (response.status >= 400) return toOpenAIError(response);
    const parsed = parseJson(response.body);
    return {
      status: response.status,
      body: undefined,
      usage: usageFromOpenAI(parsed?.usage),
      model: typeof parsed?.model === 'string' ? parsed.model : undefined,
    };
  },

  createStreamTranslator(context: TranslationContext): StreamTranslator {
    return new OpenAIStreamTranslator(context);
  },
};
