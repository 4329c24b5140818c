import type { ChatCompletionRequest } from './openai/openai-api.js';
import { unsupportedParameter as unsupported } from './translation-errors.js';

/**
 * Every top-level field of OpenAI's Chat Completions request (openai-openapi
 * `CreateChatCompletionRequest`, revision f85dbe22). A translator refuses any other field
 * (refuseUnknownFields): it would otherwise be dropped unseen.
 */
export const CHAT_COMPLETION_REQUEST_FIELDS: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'temperature',
  'top_p',
  'n',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'presence_penalty',
  'frequency_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'seed',
  'user',
  'safety_identifier',
  'prompt_cache_key',
  'prompt_cache_retention',
  'prompt_cache_options',
  'metadata',
  'service_tier',
  'modalities',
  'verbosity',
  'reasoning_effort',
  'web_search_options',
  'response_format',
  'audio',
  'store',
  'moderation',
  'prediction',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'function_call',
  'functions',
]);

/**
 * Refuses, for a provider that speaks another API (Anthropic, Gemini), the OpenAI features
 * neither has a counterpart for, whenever the request asks for something other than their
 * default: the answer, its cost, or a promise made to the client would differ from what was
 * asked. Each throws a 400 naming the field.
 * - `store: true` (OpenAI keeps the completion for distillation and evals), `moderation`,
 *   `prediction`, `web_search_options`, `audio` and non-text `modalities`;
 * - `verbosity` other than "medium", OpenAI's default;
 * - `prompt_cache_retention: "24h"` and `prompt_cache_options` (OpenAI's cache lifetimes);
 * - a non-empty `logit_bias`; the deprecated `functions` / `function_call` (the model would
 *   lose its functions).
 * Fields that change neither answer nor cost (`metadata`, `prompt_cache_key`) are left to each
 * translator, which documents what it does with them.
 */
export function refuseFieldsWithoutCounterpart(request: ChatCompletionRequest, provider: string): void {
  const fields = request as Record<string, unknown>;
  if (fields.store === true) throw unsupported('store', `${provider} models do not store completions for OpenAI's distillation and evals; store must be false or absent.`);
  if (fields.moderation != null) throw unsupported('moderation', `OpenAI's moderation of requests and answers is not available for ${provider} models.`);
  if (fields.prediction != null) throw unsupported('prediction', `Predicted outputs are not supported by ${provider} models.`);
  if (fields.web_search_options != null) throw unsupported('web_search_options', `Web search is not available through the gateway for ${provider} models.`);
  if (fields.audio != null) throw unsupported('audio', `Audio output is not supported for ${provider} models.`);
  const modalities = fields.modalities;
  if (Array.isArray(modalities) && modalities.some((modality) => modality !== 'text')) throw unsupported('modalities', `${provider} models answer with text only through the gateway.`);
  if (fields.verbosity != null && fields.verbosity !== 'medium') throw unsupported('verbosity', `${provider} models have no verbosity setting; only "medium", OpenAI's default, can be honoured.`);
  if (fields.prompt_cache_retention != null && fields.prompt_cache_retention !== 'in_memory') {
    throw unsupported('prompt_cache_retention', `OpenAI's extended prompt cache retention has no counterpart for ${provider} models.`);
  }
  if (fields.prompt_cache_options != null) throw unsupported('prompt_cache_options', `OpenAI's prompt cache options have no counterpart for ${provider} models.`);
  if (request.logit_bias != null && Object.keys(request.logit_bias).length > 0) throw unsupported('logit_bias', `logit_bias is not supported by ${provider} models.`);
  if (fields.functions != null) throw unsupported('functions', `The deprecated "functions" parameter is not supported for ${provider} models; use "tools".`);
  if (fields.function_call != null) throw unsupported('function_call', `The deprecated "function_call" parameter is not supported for ${provider} models; use "tool_choice".`);
}
