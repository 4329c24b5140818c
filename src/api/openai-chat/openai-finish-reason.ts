import type { FinishReason } from '../../model/finish-reason.js';

/** The finish reasons an OpenAI client knows (openai-openapi `CreateChatCompletionResponse`). */
export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/**
 * The neutral finish reason in OpenAI's vocabulary: a stop sequence and a paused server
 * tool loop both ended the turn ("stop"; OpenAI has no "resumable"), so a client switching
 * on finish_reason never meets a string outside the four it knows.
 */
export function toOpenAIFinishReason(reason: FinishReason): OpenAIFinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool_calls':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    case 'stop':
    case 'stop_sequence':
    case 'pause_turn':
      return 'stop';
    default: {
      const unhandled: never = reason;
      return unhandled;
    }
  }
}
