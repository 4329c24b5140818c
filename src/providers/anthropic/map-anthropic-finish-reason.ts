import type { OpenAIFinishReason } from '../../api/openai-chat/openai-finish-reason.js';

/**
 * Anthropic's stop_reason (https://docs.claude.com/en/api/handling-stop-reasons) in OpenAI
 * terms, as vercel/ai maps it (packages/anthropic/src/map-anthropic-stop-reason.ts):
 * - end_turn, stop_sequence: "stop".
 * - pause_turn (a server tool loop paused; the client may resend to continue): "stop", as
 *   the turn did end and OpenAI has no reason for "resumable".
 * - max_tokens, model_context_window_exceeded: "length"; both mean the output was cut by a
 *   token limit.
 * - tool_use: "tool_calls".
 * - refusal (the model declined for safety reasons): "content_filter", which is how OpenAI
 *   reports withheld output.
 * - null (a stream cut before message_delta) or a reason Anthropic adds later: "stop", so a
 *   client SDK switching on finish_reason never meets a string outside OpenAI's vocabulary.
 */
export function mapAnthropicFinishReason(stopReason: string | null | undefined): OpenAIFinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
    default:
      return 'stop';
  }
}
