import type { OpenAIFinishReason } from '../../api/openai-chat/openai-finish-reason.js';

/**
 * Gemini's finishReason (https://ai.google.dev/api/generate-content#FinishReason) in OpenAI
 * terms. Gemini ends a function-calling turn with STOP, so whether the reply holds function
 * calls decides between "stop" and "tool_calls". Nothing outside OpenAI's vocabulary is
 * passed through: a client SDK switching on finish_reason must not meet a new string.
 *
 * - MAX_TOKENS: "length".
 * - The filter family (SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII and their
 *   IMAGE_ variants): "content_filter", as when OpenAI withholds output.
 * - A failed function call (MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL,
 *   TOO_MANY_TOOL_CALLS): OpenAI has no error finish reason, and the turn did end; such a
 *   reply usually carries no usable call, so it is "stop" (with no tool_calls, which is what
 *   a client sees), or "tool_calls" if Gemini did deliver calls the client should run.
 * - Everything else (LANGUAGE, OTHER, NO_IMAGE, unknown or missing): "stop", or
 *   "tool_calls" when the reply holds calls.
 */
export function mapGeminiFinishReason(reason: string | null | undefined, hasToolCalls: boolean): OpenAIFinishReason {
  switch (reason) {
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'IMAGE_RECITATION':
      return 'content_filter';
    default:
      return hasToolCalls ? 'tool_calls' : 'stop';
  }
}
