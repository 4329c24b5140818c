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
import { AnthropicStreamTranslator } from './anthropic-stream-translator.js';
import { convertRequestToAnthropic } from './convert-request.js';
import { convertResponseFromAnthropic } from './convert-response.js';
import { toOpenAIError } from './to-openai-error.js';

/**
 * The API version every request pins (https://docs.claude.com/en/api/versioning); it is
 * required, and 2023-06-01 is the current one (anthropic-sdk-typescript src/client.ts).
 */
const ANTHROPIC_VERSION = '2023-06-01';

/**
 * Anthropic's Messages API (POST {base}/messages, https://docs.claude.com/en/api/messages):
 * one path for both whole and streamed answers (`stream: true` in the body). The key travels
 * in `x-api-key` (https://docs.claude.com/en/api/overview#authentication).
 */
export const anthropicAdapter: ProviderAdapter = {
  buildRequest(request: ChatCompletionRequest, target: AttemptTarget): UpstreamRequest {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': ANTHROPIC_VERSION };
    if (target.credential !== undefined) headers['x-api-key'] = target.credential;
    return { path: `${target.pathPrefix}/messages`, headers, body: Buffer.from(JSON.stringify(convertRequestToAnthropic(request, target))) };
  },

  // The refusals are found while converting; the body is neither serialised nor copied.
  checkRequest(request: ChatCompletionRequest, target: AttemptTarget): void {
    convertRequestToAnthropic(request, target);
  },

  translateResponse(response: UpstreamResponse, context: TranslationContext): TranslatedResponse {
    if (response.status >= 400) return toOpenAIError(response);
    return convertResponseFromAnthropic(response, context);
  },

  createStreamTranslator(context: TranslationContext): StreamTranslator {
    return new AnthropicStreamTranslator(context);
  },
};
