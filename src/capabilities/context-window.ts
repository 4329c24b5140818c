import type { ClientFormat } from '../endpoints/endpoint.js';
import { GatewayError } from '../errors.js';
import type { ModelCapabilities } from './capability-table.js';

/**
 * The output a request reserves room for in the context window: what it asks for at most,
 * else the model's largest completion (which is what the provider then allows it).
 */
export function outputBound(requested: number | undefined, capabilities: ModelCapabilities): number {
  return requested ?? capabilities.max_output_tokens;
}

/**
 * Whether a request may be too long, judged without the tokenizer: a BPE token covers at
 * least one byte, so `promptUpperBound` (the body's bytes plus a bound per image, see
 * prompt-upper-bound.ts) never undercounts. Only requests this says may not fit are counted.
 */
export function mayExceedWindow(promptUpperBound: number, output: number, capabilities: ModelCapabilities): boolean {
  return promptUpperBound + output > capabilities.context_window;
}

/**
 * The 400 for a prompt (counted with the tokenizer) and output bound that together exceed
 * the model's context window, or undefined when they fit. The OpenAI form is OpenAI's own
 * (code context_length_exceeded, param messages, its wording and numbers); the Anthropic form
 * follows Anthropic's "input length and `max_tokens` exceed context limit" refusal.
 */
export function contextLengthExceeded(promptTokens: number, output: number, capabilities: ModelCapabilities, format: ClientFormat): GatewayError | undefined {
  const window = capabilities.context_window;
  const requested = promptTokens + output;
  if (requested <= window) return undefined;
  const message =
    format === 'anthropic'
      ? `input length and \`max_tokens\` exceed context limit: ${promptTokens} + ${output} > ${window}, decrease input length or \`max_tokens\` and try again`
      : `This model's maximum context length is ${window} tokens. However, you requested ${requested} tokens (${promptTokens} in the messages, ${output} in the completion). Please reduce the length of the messages or completion.`;
  return new GatewayError({ status: 400, code: 'context_length_exceeded', type: 'invalid_request_error', param: 'messages', message, retryable: false });
}
