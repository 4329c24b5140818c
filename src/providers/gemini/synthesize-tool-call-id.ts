/**
 * The OpenAI id of the nth function call (0-based, counted across the whole response) in a
 * Gemini reply. Gemini usually sends no call id, and OpenAI clients need one to pair the
 * tool result with the call. Derived from the gateway's response id, so it is deterministic
 * (tests replay exact bytes) yet distinct across turns: a history can hold many calls, and
 * the gateway finds a tool result's function name by this id. A call id Gemini does send
 * is kept.
 */
export function synthesizeToolCallId(responseId: string, callNumber: number, geminiId?: string | null): string {
  if (geminiId) return geminiId;
  return `call_${responseId.replace(/^chatcmpl-/, '')}_${callNumber}`;
}
