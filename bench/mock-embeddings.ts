/**
 * The mock provider's OpenAI `POST /v1/embeddings` (createEmbedding): deterministic vectors,
 * so the semantic cache can be measured without a model. A text's vector is a hashed bag of
 * its words (each lower-cased word adds ±1 to one dimension chosen by its hash), normalised
 * to length 1 as OpenAI's are: texts that share most words are near (cosine close to 1),
 * texts that share none are nearly orthogonal, and the same text always gets the same vector.
 *
 * Wire format (https://platform.openai.com/docs/api-reference/embeddings/create):
 *   request  {model, input: string | string[] | number[] | number[][], encoding_format?: "float" | "base64", dimensions?}
 *   response {object: "list", data: [{object: "embedding", index, embedding: number[] | base64 of float32 LE}], model, usage: {prompt_tokens, total_tokens}}
 * A malformed request gets OpenAI's 400 error body.
 */

/** text-embedding-3-small's default size; `dimensions` asks for fewer. */
export const DEFAULT_EMBEDDING_DIMENSIONS = 1536;

export interface EmbeddingsAnswer {
  status: number;
  body: string;
}

/** FNV-1a, 32 bits: cheap and stable across runs and processes. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 0x01000193);
  }
  return value >>> 0;
}

/** The unit vector of a text, or of a token array (each token id is a "word"). */
export function embed(input: string | number[], dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  const words = typeof input === 'string' ? input.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0) : input.map(String);
  for (const word of words) {
    const hashed = hash(word);
    vector[hashed % dimensions]! += hashed & 0x80000000 ? -1 : 1;
  }
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  // An empty text gets a fixed unit vector rather than zeros (a zero vector has no direction).
  if (norm === 0) vector[0] = 1;
  else for (let index = 0; index < dimensions; index++) vector[index]! /= norm;
  return vector;
}

function invalid(message: string, param: string | null): EmbeddingsAnswer {
  return { status: 400, body: JSON.stringify({ error: { message, type: 'invalid_request_error', param, code: null } }) };
}

/** The mock's answer to a createEmbedding request body. */
export function answerEmbeddings(body: string): EmbeddingsAnswer {
  let request: { model?: unknown; input?: unknown; encoding_format?: unknown; dimensions?: unknown };
  try {
    request = JSON.parse(body) as typeof request;
  } catch {
    return invalid('We could not parse the JSON body of your request.', null);
  }
  if (typeof request.model !== 'string') return invalid("you must provide a model parameter", 'model');
  const input = request.input;
  const isTokens = (value: unknown): value is number[] => Array.isArray(value) && value.length > 0 && value.every((item) => Number.isInteger(item));
  let inputs: (string | number[])[];
  if (typeof input === 'string') inputs = [input];
  else if (isTokens(input)) inputs = [input];
  else if (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'string' || isTokens(item))) inputs = input as (string | number[])[];
  else return invalid("'input' must be a string, an array of strings, or an array of token arrays", 'input');
  const format = request.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') return invalid("'encoding_format' must be 'float' or 'base64'", 'encoding_format');
  const dimensions = request.dimensions ?? DEFAULT_EMBEDDING_DIMENSIONS;
  if (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions < 1 || dimensions > DEFAULT_EMBEDDING_DIMENSIONS) return invalid(`'dimensions' must be an integer from 1 to ${DEFAULT_EMBEDDING_DIMENSIONS}`, 'dimensions');
  let tokens = 0;
  const data = inputs.map((item, index) => {
    tokens += typeof item === 'string' ? Math.max(1, Math.ceil(item.length / 4)) : item.length;
    const vector = embed(item, dimensions);
    const embedding = format === 'base64' ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64') : Array.from(vector, (value) => Math.round(value * 1e8) / 1e8);
    return { object: 'embedding', index, embedding };
  });
  return { status: 200, body: JSON.stringify({ object: 'list', data, model: request.model, usage: { prompt_tokens: tokens, total_tokens: tokens } }) };
}
