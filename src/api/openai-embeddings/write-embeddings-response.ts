/** How the client asked for its vectors (openai-openapi `CreateEmbeddingRequest.encoding_format`). */
export type EncodingFormat = 'float' | 'base64';

/** OpenAI's embeddings answer (openai-openapi `CreateEmbeddingResponse`). */
export interface EmbeddingsResponseBody {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/**
 * The OpenAI answer for vectors the gateway got from a provider that is not OpenAI-shaped,
 * in input order. With `base64`, each vector is written as OpenAI writes it: its float32
 * values, little-endian, base64-encoded (what openai-node decodes with a Float32Array).
 */
export function writeEmbeddingsResponse(vectors: readonly (readonly number[])[], model: string, promptTokens: number, encoding: EncodingFormat): EmbeddingsResponseBody {
  return {
    object: 'list',
    data: vectors.map((vector, index) => ({ object: 'embedding', index, embedding: encoding === 'base64' ? float32Base64(vector) : [...vector] })),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

/** A vector as little-endian float32 bytes in base64. */
export function float32Base64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (const [index, value] of vector.entries()) bytes.writeFloatLE(value, index * 4);
  return bytes.toString('base64');
}
