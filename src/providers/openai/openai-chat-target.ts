/**
 * What an OpenAI-compatible Chat Completions server accepts beyond the common core, where
 * servers differ and a translator must know which form to write or whether to refuse.
 * The composition root derives it from the provider's configuration (its kind, and for
 * self-hosted servers what they run); translators take it as an argument.
 */
export interface OpenAIChatTarget {
  /**
   * The field that carries the output limit. OpenAI's `max_completion_tokens` (its reasoning
   * models refuse `max_tokens`: "Unsupported parameter"), or `max_tokens` for servers that
   * know only that one and silently ignore the other (Ollama and LM Studio's OpenAI
   * endpoints, https://docs.ollama.com/api/openai-compatibility).
   */
  maxTokensField: 'max_completion_tokens' | 'max_tokens';
  /** Whether the server takes `top_k`, an extension OpenAI lacks (vLLM's extra sampling parameters do). */
  topK: boolean;
  /** Whether the server takes `file` content parts with inline `file_data` (OpenAI's PDF input; Gemini through translation). */
  fileParts: boolean;
  /** Whether the model takes `reasoning_effort` (OpenAI's reasoning models, and servers that map it to their own thinking switch). */
  reasoningEffort: boolean;
}

/** api.openai.com: what OpenAI's own Chat Completions API documents (https://platform.openai.com/docs/api-reference/chat/create). */
export const OPENAI_CHAT_TARGET: OpenAIChatTarget = Object.freeze({
  maxTokensField: 'max_completion_tokens',
  topK: false,
  fileParts: true,
  reasoningEffort: true,
});
