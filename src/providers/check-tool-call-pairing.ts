import { invalidValue as invalid } from './translation-errors.js';
import type { ChatMessage } from './openai/openai-api.js';

/**
 * Checks that the history's tool calls and tool results pair up, the way OpenAI's Chat
 * Completions requires (it answers 400 "An assistant message with 'tool_calls' must be
 * followed by tool messages responding to each 'tool_call_id'") and the way Anthropic and
 * Gemini require of their translations:
 * - Anthropic: each tool_result answers a tool_use of the assistant message just before it,
 *   and every tool_use is answered in the next user message ("tool_use ids were found
 *   without tool_result blocks immediately after";
 *   https://docs.claude.com/en/docs/agents-and-tools/tool-use/implement-tool-use#handling-tool-use-and-tool-result-content-blocks).
 * - Gemini: a function response turn answers every function call of the model turn before it
 *   ("the number of function response parts is equal to the number of function call parts";
 *   https://ai.google.dev/gemini-api/docs/function-calling).
 *
 * A tool message answers one unanswered call of the latest assistant message that made
 * calls; user and system messages may stand between them (the translators move results to
 * the front of the next user turn), another assistant message may not. Checked here, a
 * broken history is a 400 naming the message at fault instead of the provider's own 400.
 * Throws GatewayError (400, `invalid_value`).
 */
export function checkToolCallPairing(messages: readonly ChatMessage[]): void {
  /** The calls of the latest assistant message still waiting for a result: id -> where the call stands. */
  let unanswered = new Map<string, string>();
  messages.forEach((message, messageIndex) => {
    if (message.role === 'assistant') {
      refuseUnanswered(unanswered);
      unanswered = new Map();
      (message.tool_calls ?? []).forEach((toolCall, callIndex) => {
        const param = `messages[${messageIndex}].tool_calls[${callIndex}].id`;
        if (unanswered.has(toolCall.id)) throw invalid(param, `Tool call id "${truncate(toolCall.id)}" appears twice in one assistant message.`);
        unanswered.set(toolCall.id, param);
      });
    } else if (message.role === 'tool') {
      if (!unanswered.delete(message.tool_call_id)) {
        throw invalid(
          `messages[${messageIndex}].tool_call_id`,
          `A tool message must answer a tool call of the assistant message before it; "${truncate(message.tool_call_id)}" is not one, or was answered already.`,
        );
      }
    }
  });
  refuseUnanswered(unanswered);
}

function refuseUnanswered(unanswered: ReadonlyMap<string, string>): void {
  for (const [id, param] of unanswered) {
    throw invalid(param, `The tool call "${truncate(id)}" has no tool message answering it; every tool call must be followed by a tool message with its tool_call_id.`);
  }
}

function truncate(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}...` : value;
}
