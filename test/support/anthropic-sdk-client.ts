import Anthropic from '@anthropic-ai/sdk';

/**
 * The official Anthropic SDK, wired to answer every request with `body` instead of going to
 * the network: what a client makes of bytes the gateway writes. No retries, so an error
 * body surfaces as the exception the SDK raises for it.
 */
export function anthropicClientAnswering(body: string, init: { status?: number; headers?: Record<string, string> } = {}): Anthropic {
  return new Anthropic({
    apiKey: 'test-key',
    baseURL: 'http://gateway.invalid',
    maxRetries: 0,
    fetch: async () => new Response(body, { status: init.status ?? 200, headers: init.headers ?? { 'content-type': 'application/json' } }),
  });
}

/** The smallest request the SDK will send; the answer is canned, so its content does not matter. */
export const ANY_REQUEST = { model: 'claude-sonnet-4-6', max_tokens: 1024, messages: [{ role: 'user' as const, content: 'Hello' }] };
