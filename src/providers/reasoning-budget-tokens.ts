import type { ChatCompletionRequest } from './openai/openai-api.js';

/** OpenAI's `reasoning_effort` values that ask for some thinking. */
export type ThinkingEffort = Exclude<NonNullable<ChatCompletionRequest['reasoning_effort']>, 'none'>;

/**
 * The thinking-token budget for each `reasoning_effort`, for providers that take a budget
 * rather than a level (Gemini 2.5 `thinkingBudget`, Anthropic `budget_tokens` before Claude 4.6).
 * minimal, low, medium and high are Google's own mapping of this very field for Gemini 2.5
 * (https://ai.google.dev/gemini-api/docs/openai#thinking: 1,024 / 1,024 / 8,192 / 24,576),
 * used for Claude too so a client gets comparable thinking whichever provider serves it.
 * 1,024 is also Anthropic's smallest budget. xhigh, which OpenAI adds above high, is 32,768:
 * Gemini 2.5 Pro's largest budget, and where Anthropic's docs advise batch processing above;
 * max, OpenAI's newest level above xhigh, asks for the same (each provider then caps it).
 * Each provider then fits the value into what the model allows.
 */
export function reasoningBudgetTokens(effort: ThinkingEffort): number {
  switch (effort) {
    case 'minimal':
    case 'low':
      return 1024;
    case 'medium':
      return 8192;
    case 'high':
      return 24576;
    case 'xhigh':
    case 'max':
      return 32768;
    default: {
      const unhandled: never = effort;
      return unhandled;
    }
  }
}
