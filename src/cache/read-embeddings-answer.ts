import type { Usage } from '../model/usage.js';
import { parseJsonObject } from '../providers/parse-json.js';
import type { CapturedAnswer } from './cached-answer.js';

/**
 * An embeddings answer as the client was sent it (openai-openapi `CreateEmbeddingResponse`:
 * `object: "list"`, `data` of `embedding` items, `usage.prompt_tokens`), kept verbatim: the
 * vectors are what the client asked for in the encoding it asked for (float or base64), so a
 * hit is the same JSON. Undefined for anything else (an error body, a body with no vectors),
 * which is then not stored. The usage, when present, is what a later hit saves.
 */
export function readEmbeddingsAnswer(body: Buffer): CapturedAnswer | undefined {
  const json = parseJsonObject(body);
  if (json === undefined || json.object !== 'list' || !Array.isArray(json.data) || json.data.length === 0) return undefined;
  const usage = json.usage as { prompt_tokens?: unknown; total_tokens?: unknown } | null | undefined;
  const promptTokens = typeof usage?.prompt_tokens === 'number' ? usage.prompt_tokens : undefined;
  const counted: Usage | undefined =
    promptTokens === undefined
      ? undefined
      : { promptTokens, completionTokens: 0, totalTokens: typeof usage?.total_tokens === 'number' ? usage.total_tokens : promptTokens, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
  return { completion: { choices: [], usage: counted }, body: body.toString('utf8') };
}
