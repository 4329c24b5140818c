import type { GeminiFunctionCall, GeminiPart } from './gemini-api.js';

export interface GeminiReply {
  /** The answer text, or undefined when the parts hold no text at all. */
  text: string | undefined;
  functionCalls: GeminiFunctionCall[];
}

/**
 * What a candidate's parts say to an OpenAI client: the answer text and the function calls.
 * Thought parts (`thought: true`, thought summaries Gemini sends only when asked with
 * includeThoughts, which the gateway never does) are left out: OpenAI's Chat Completions
 * has no field for reasoning text. `thoughtSignature` is opaque and has nowhere to go in
 * OpenAI's format either (see SKIP_THOUGHT_SIGNATURE for how history is replayed). Other
 * part kinds (executable code, inline output data) only appear with features the gateway
 * does not request.
 */
export function readGeminiParts(parts: readonly GeminiPart[] | null | undefined): GeminiReply {
  let text: string | undefined;
  const functionCalls: GeminiFunctionCall[] = [];
  for (const part of parts ?? []) {
    if (part.thought === true) continue;
    if (typeof part.text === 'string') text = (text ?? '') + part.text;
    if (part.functionCall) functionCalls.push(part.functionCall);
  }
  return { text, functionCalls };
}
