import type { FinishReason } from '../../model/finish-reason.js';

/** Anthropic's `stop_reason` values (@anthropic-ai/sdk 1.14.0 `StopReason`; https://docs.claude.com/en/api/handling-stop-reasons). */
export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded';

/**
 * A neutral finish reason as Anthropic's stop_reason, for client writers:
 * - stop: end_turn; stop_sequence: stop_sequence (the writer adds which sequence).
 * - length: max_tokens. The neutral reason does not say whether max_tokens or the context
 *   window cut the output; max_tokens is the one every client handles (Claude Code asks to
 *   continue), and model_context_window_exceeded is newer.
 * - tool_calls: tool_use.
 * - content_filter: refusal, Anthropic's reason for output a safety system withheld.
 * - pause_turn: pause_turn (a server tool loop paused; the client may resend to continue).
 */
export function toAnthropicStopReason(reason: FinishReason): AnthropicStopReason {
  switch (reason) {
    case 'stop':
      return 'end_turn';
    case 'stop_sequence':
      return 'stop_sequence';
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    case 'pause_turn':
      return 'pause_turn';
    default: {
      const unhandled: never = reason;
      return unhandled;
    }
  }
}

/**
 * Anthropic's stop_reason as a neutral finish reason, for readers of Anthropic's responses:
 * the inverse of toAnthropicStopReason, with model_context_window_exceeded (the context
 * window, not max_tokens, cut the output) folded into length. null (a stream cut before
 * message_delta) and reasons Anthropic adds later are "stop": the turn ended, and Anthropic's
 * versioning policy lets it add values (https://docs.claude.com/en/api/versioning).
 */
export function finishReasonFromAnthropic(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case 'stop_sequence':
      return 'stop_sequence';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    case 'pause_turn':
      return 'pause_turn';
    case 'end_turn':
    default:
      return 'stop';
  }
}
