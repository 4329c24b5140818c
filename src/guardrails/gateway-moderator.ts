/** One input's verdict as OpenAI's moderation object gives it: flagged, and per category a flag and a score in [0, 1]. */
export interface ModerationResult {
  readonly flagged: boolean;
  readonly categories: Readonly<Record<string, boolean>>;
  readonly categoryScores: Readonly<Record<string, number>>;
}

/**
 * Classifies texts with one of the gateway's own moderation models: one result per text, in
 * order. Rejects on any failure (refusal, provider error, timeout, malformed answer); the
 * guardrail's `on_error` decides what that means.
 */
export type Moderate = (request: { model: string; texts: readonly string[]; credential: string | undefined; timeoutMs: number }) => Promise<ModerationResult[]>;

/**
 * Calls the gateway's own listener (Envoy), `POST <baseUrl>/v1/moderations` with `{model,
 * input: [texts]}` (OpenAI's createModeration wire format), as the semantic cache calls its
 * embeddings model: Envoy keeps owning the network to the provider, and the call is
 * admitted, metered and charged like any client call under the client's own credential (a
 * key that may not use the moderation model gets no verdict). `baseUrl`: the listener, e.g.
 * http://127.0.0.1:8080.
 */
export function createGatewayModerator(options: { baseUrl: string; fetch?: typeof fetch }): Moderate {
  const send = options.fetch ?? fetch;
  return async ({ model, texts, credential, timeoutMs }) => {
    const response = await send(`${options.baseUrl}/v1/moderations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(credential === undefined ? {} : { authorization: `Bearer ${credential}` }) },
      body: JSON.stringify({ model, input: texts }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`moderation answered ${response.status}`);
    }
    const answer = (await response.json()) as { results?: unknown };
    if (!Array.isArray(answer.results) || answer.results.length !== texts.length) throw new Error('moderation answer has no result per input');
    return answer.results.map(readResult);
  };
}

/**
 * A result read leniently (unknown fields pass). Without `flagged` (Mistral's moderation API
 * answers the same shape without it) a result is flagged when a category is; a result with
 * neither is malformed.
 */
function readResult(result: unknown): ModerationResult {
  const { flagged, categories, category_scores: scores } = (result ?? {}) as { flagged?: unknown; categories?: unknown; category_scores?: unknown };
  const record = <T>(value: unknown, keep: (item: unknown) => item is T): Record<string, T> =>
    typeof value === 'object' && value !== null ? Object.fromEntries(Object.entries(value).filter((entry): entry is [string, T] => keep(entry[1]))) : {};
  const flags = record(categories, (item): item is boolean => typeof item === 'boolean');
  if (typeof flagged !== 'boolean' && (typeof categories !== 'object' || categories === null)) throw new Error('moderation result without flagged or categories');
  return {
    flagged: typeof flagged === 'boolean' ? flagged : Object.values(flags).some(Boolean),
    categories: flags,
    categoryScores: record(scores, (item): item is number => typeof item === 'number'),
  };
}
