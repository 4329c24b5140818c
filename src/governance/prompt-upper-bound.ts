import type { ChatCompletionRequest } from '../providers/openai/openai-api.js';

/**
 * A bound no provider's prompt token count exceeds, for reserving budget before a request:
 * a BPE token covers at least one byte, so the JSON body's size bounds its text (roles,
 * tool definitions and message framing included), and each image part adds at most what
 * the costliest provider charges for an image (OpenAI high detail tops out near 1,500,
 * Anthropic near 1,600; 3,000 leaves room). Loose by design: a hard cap must never be
 * overshot, and the unused part of a reservation is released when the request settles.
 */
export const TOKENS_PER_IMAGE_BOUND = 3000;

export function promptTokensUpperBound(request: ChatCompletionRequest, bodyBytes: number): number {
  let images = 0;
  for (const message of request.messages) {
    if (Array.isArray(message.content)) for (const part of message.content) if (part.type === 'image_url' || part.type === 'input_audio' || part.type === 'file') images += 1;
  }
  return bodyBytes + images * TOKENS_PER_IMAGE_BOUND;
}

/** The output tokens a request may produce, when it says. */
export function requestedMaxOutputTokens(request: ChatCompletionRequest): number | undefined {
  return request.max_completion_tokens ?? request.max_tokens ?? undefined;
}
