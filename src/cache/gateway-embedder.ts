/**
 * Embeds a text with one of the gateway's own embeddings models, through the gateway's own
 * listener (Envoy): `POST <baseUrl>/v1/embeddings` (OpenAI's createEmbedding wire format,
 * `encoding_format: "float"`). Envoy keeps owning the network to the provider (TLS, retries,
 * outlier detection), and the call is admitted, metered and charged like any client call.
 * It carries the client's own credential: the embedding is charged to the tenant whose
 * request it serves, and a key that may not use the embeddings model gets no embedding.
 *
 * Resolves to the vector, or undefined on any failure (refusal, provider error, timeout,
 * malformed answer): a semantic cache that cannot embed is a miss, never an error.
 */
export type Embedder = (request: { model: string; text: string; credential: string | undefined; timeoutMs: number }) => Promise<Float32Array | undefined>;

/** `baseUrl`: the listener, e.g. http://127.0.0.1:8080; `onFailure` hears why an embedding was not had (no secrets in it). */
export function createGatewayEmbedder(options: { baseUrl: string; fetch?: typeof fetch; onFailure?: (reason: string) => void }): Embedder {
  const send = options.fetch ?? fetch;
  const fail = (reason: string): undefined => {
    options.onFailure?.(reason);
    return undefined;
  };
  return async ({ model, text, credential, timeoutMs }) => {
    try {
      const response = await send(`${options.baseUrl}/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(credential === undefined ? {} : { authorization: `Bearer ${credential}` }) },
        body: JSON.stringify({ model, input: text, encoding_format: 'float' }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) {
        await response.body?.cancel();
        return fail(`status ${response.status}`);
      }
      const answer = (await response.json()) as { data?: Array<{ embedding?: unknown }> };
      const embedding = answer.data?.[0]?.embedding;
      if (!Array.isArray(embedding) || embedding.length === 0 || !embedding.every((value) => typeof value === 'number' && Number.isFinite(value))) return fail('no embedding in the answer');
      return Float32Array.from(embedding as number[]);
    } catch (error) {
      return fail(error instanceof Error ? error.name === 'TimeoutError' ? 'timeout' : error.message : String(error));
    }
  };
}
