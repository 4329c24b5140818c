/**
 * Why a generation ended, in terms every client format can express. Provider readers map
 * their own reasons onto it; client writers map it to theirs. Kept finer than OpenAI's
 * vocabulary where Anthropic's is finer (stop_sequence, pause_turn), so an Anthropic
 * client served by Anthropic through translation loses nothing.
 * - stop: the model ended its turn.
 * - stop_sequence: a client-given stop sequence ended it (the sequence is in `stopSequence`).
 * - length: a token limit (max tokens, or the context window) cut it.
 * - tool_calls: the model is waiting for tool results.
 * - content_filter: a safety system refused or withheld output.
 * - pause_turn: a server-side tool loop paused; the client may resend to continue.
 */
export type FinishReason = 'stop' | 'stop_sequence' | 'length' | 'tool_calls' | 'content_filter' | 'pause_turn';
