import type { GeminiFunctionCall, GeminiPart } from './gemini-api.js';
import { fromGeminiFunctionName } from './gemini-function-name.js';

export interface GeminiReply {
  /** The answer text, or undefined when the parts hold no text at all. */
  text: string | undefined;
  /** Thought summaries, or undefined when there are none. */
  reasoning: string | undefined;
  /** Function calls, named as the client declared them. */
  functionCalls: GeminiFunctionCall[];
}

/**
 * What a candidate's parts say to an OpenAI client: the answer text, the thought summaries
 * and the function calls. Thought parts (`thought: true`, sent when the request asked for
 * includeThoughts, which the gateway does with reasoning_effort) are reasoning, never answer
 * text: they reach the client as `reasoning_content`. `thoughtSignature` is opaque and has
 * nowhere to go in OpenAI's format (see SKIP_THOUGHT_SIGNATURE for how history is
 * replayed). Function names escaped for Gemini are given back (fromGeminiFunctionName).
 * Other part kinds (executable code, inline output data) only appear with features the
 * gateway does not request.
 */
export function readGeminiParts(parts: readonly GeminiPart[] | null | undefined): GeminiReply {
  let text: string | undefined;
  let reasoning: string | undefined;
  const functionCalls: GeminiFunctionCall[] = [];
  for (const part of parts ?? []) {
    if (part.thought === true) {
      if (typeof part.text === 'string') reasoning = (reasoning ?? '') + part.text;
      continue;
    }
    if (typeof part.text === 'string') text = (text ?? '') + part.text;
    if (part.functionCall) functionCalls.push({ ...part.functionCall, name: fromGeminiFunctionName(part.functionCall.name) });
  }
  return { text, reasoning, functionCalls };
}
