import type { AttemptRecord } from './request-context.js';

/**
 * When Envoy has used up its retries and fallbacks, the client gets the last failure; this
 * says which model it asked for and what was tried, keeping the provider's own message.
 * Takes and returns an OpenAI error body; anything else is returned unchanged.
 */
export function describeExhaustedAttempts(alias: string, attempts: readonly AttemptRecord[], status: number, body: Buffer): Buffer {
  let parsed: { error?: { message?: unknown } } | undefined;
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch {
    return body;
  }
  const error = parsed?.error;
  if (!error || typeof error.message !== 'string') return body;
  const tried = summarize(attempts);
  const last = attempts[attempts.length - 1];
  const lastProvider = last ? ` from ${last.target.provider.name}` : '';
  error.message = `Model '${alias}' is unavailable: ${attempts.length} attempt${attempts.length === 1 ? '' : 's'} failed (${tried}). Last error${lastProvider} (HTTP ${status}): ${error.message}`;
  return Buffer.from(JSON.stringify(parsed));
}

/** "a/model-a x2, b/model-b x2", in the order tried. */
function summarize(attempts: readonly AttemptRecord[]): string {
  const counts = new Map<string, number>();
  for (const attempt of attempts) {
    const key = `${attempt.target.provider.name}/${attempt.target.model}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, count]) => (count > 1 ? `${key} x${count}` : key)).join(', ') || 'none reached a provider';
}
