import type { TranslationContext } from '../provider-adapter.js';
import { usageToOpenAI } from '../usage.js';
import { convertGeminiLogprobs } from './convert-gemini-logprobs.js';
import type { GenerateContentResponse } from './gemini-api.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { readGeminiParts } from './read-gemini-parts.js';
import { synthesizeToolCallId } from './synthesize-tool-call-id.js';
import { usageFromGemini } from './usage-from-gemini.js';

/**
 * A whole Gemini GenerateContentResponse as an OpenAI `chat.completion`
 * (openai-openapi `CreateChatCompletionResponse`). One choice per candidate, its thought
 * summaries as `reasoning_content` (readGeminiParts); the id and creation time are the gateway's, as Gemini's responseId is not in OpenAI's format.
 * When the prompt itself was blocked (promptFeedback.blockReason, no candidates,
 * https://ai.google.dev/api/generate-content#PromptFeedback) the answer is one empty choice
 * finished by "content_filter", which is how OpenAI reports withheld output.
 */
export function convertResponseFromGemini(response: GenerateContentResponse, context: TranslationContext): Record<string, unknown> {
  const candidates = response.candidates ?? [];
  let callNumber = 0;
  const choices = candidates.map((candidate, position) => {
    const reply = readGeminiParts(candidate.content?.parts);
    const toolCalls = reply.functionCalls.map((functionCall) => ({
      id: synthesizeToolCallId(context.responseId, callNumber++, functionCall.id),
      type: 'function',
      function: { name: functionCall.name, arguments: JSON.stringify(functionCall.args ?? {}) },
    }));
    const message: Record<string, unknown> = { role: 'assistant', content: reply.text ?? null, refusal: null, annotations: [] };
    if (reply.reasoning !== undefined) message.reasoning_content = reply.reasoning;
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    return {
      index: candidate.index ?? position,
      message,
      logprobs: convertGeminiLogprobs(candidate.logprobsResult),
      finish_reason: mapGeminiFinishReason(candidate.finishReason, toolCalls.length > 0),
    };
  });
  if (choices.length === 0) {
    const blocked = Boolean(response.promptFeedback?.blockReason);
    choices.push({
      index: 0,
      message: { role: 'assistant', content: null, refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: blocked ? 'content_filter' : 'stop',
    });
  }
  const completion: Record<string, unknown> = {
    id: context.responseId,
    object: 'chat.completion',
    created: context.created,
    model: response.modelVersion ?? context.model,
    choices,
  };
  if (response.usageMetadata) completion.usage = usageToOpenAI(usageFromGemini(response.usageMetadata));
  return completion;
}
