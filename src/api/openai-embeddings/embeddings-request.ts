import { z } from 'zod';

/** OpenAI's limit on the length of an input array (openai-openapi `CreateEmbeddingRequest.input`: 2048 entries or fewer). */
export const MAX_EMBEDDING_INPUTS = 2048;

const tokenId = z.number().int().min(0);

/**
 * What may be embedded (openai-openapi `CreateEmbeddingRequest.input`): one text, texts, one
 * token array, or token arrays. OpenAI refuses empty strings and empty arrays, as this does.
 */
export const embeddingInputSchema = z.union(
  [
    z.string().min(1),
    z.array(z.string().min(1)).min(1).max(MAX_EMBEDDING_INPUTS),
    z.array(tokenId).min(1).max(MAX_EMBEDDING_INPUTS),
    z.array(z.array(tokenId).min(1)).min(1).max(MAX_EMBEDDING_INPUTS),
  ],
  { error: 'one of a string, an array of strings, an array of integers or an array of arrays of integers' },
);

/**
 * POST /v1/embeddings (openai-openapi `CreateEmbeddingRequest`). Fields beyond these pass
 * through to OpenAI-compatible servers, which take their own extras (vLLM's `truncate_prompt_tokens`).
 */
export const embeddingsRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: embeddingInputSchema,
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().min(1).optional(),
  user: z.string().optional(),
});

export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;
export type EmbeddingInput = EmbeddingsRequest['input'];

/** The inputs as a list: texts, or token arrays. */
export type EmbeddingInputs = { kind: 'text'; texts: string[] } | { kind: 'tokens'; tokens: number[][] };

/** The request's input as a list of texts or of token arrays, in the order the answer must keep. */
export function embeddingInputs(input: EmbeddingInput): EmbeddingInputs {
  if (typeof input === 'string') return { kind: 'text', texts: [input] };
  if (input.length > 0 && typeof input[0] === 'string') return { kind: 'text', texts: input as string[] };
  if (input.length > 0 && typeof input[0] === 'number') return { kind: 'tokens', tokens: [input as number[]] };
  return { kind: 'tokens', tokens: input as number[][] };
}

/** The texts a provider embeds, joined for the tokenizer; token arrays carry no text. */
export function embeddingsPromptText(request: EmbeddingsRequest): string {
  const inputs = embeddingInputs(request.input);
  return inputs.kind === 'text' ? inputs.texts.join('\n') : '';
}
