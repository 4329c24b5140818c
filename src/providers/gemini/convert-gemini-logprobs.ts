import type { GeminiLogprobsResult } from './gemini-api.js';

/**
 * Gemini's logprobsResult (https://ai.google.dev/api/generate-content#LogprobsResult) as an
 * OpenAI choice `logprobs` object: chosenCandidates[i] is the sampled token at step i and
 * topCandidates[i] its alternatives. OpenAI also gives each token's UTF-8 bytes, which are
 * recomputed from the token text. Null when there is nothing to report, as OpenAI writes it.
 */
export function convertGeminiLogprobs(result: GeminiLogprobsResult | null | undefined): Record<string, unknown> | null {
  const chosen = result?.chosenCandidates ?? [];
  if (chosen.length === 0) return null;
  const content = chosen.map((candidate, step) => ({
    ...tokenLogprob(candidate.token, candidate.logProbability),
    top_logprobs: (result?.topCandidates?.[step]?.candidates ?? []).map((alternative) => tokenLogprob(alternative.token, alternative.logProbability)),
  }));
  return { content, refusal: null };
}

function tokenLogprob(token: string | null | undefined, logProbability: number | null | undefined): { token: string; logprob: number; bytes: number[] } {
  const text = token ?? '';
  return { token: text, logprob: logProbability ?? 0, bytes: [...Buffer.from(text, 'utf8')] };
}
