/**
 * One generated token with its log probability and the most likely alternatives, in the
 * shape OpenAI's `logprobs.content[]` uses (openai-openapi `ChatCompletionTokenLogprob`),
 * which is the only client format that carries them.
 */
export interface TokenLogprob {
  token: string;
  logprob: number;
  /** UTF-8 bytes of the token, or null when the provider does not say. */
  bytes: number[] | null;
  top_logprobs: { token: string; logprob: number; bytes: number[] | null }[];
}
