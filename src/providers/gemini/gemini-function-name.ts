import { fitIdentifier, GEMINI_FUNCTION_NAME } from '../fit-identifier.js';

/**
 * Marks a name the gateway escaped for Gemini. No OpenAI function name contains a dot
 * (`^[a-zA-Z0-9_-]{1,64}$`) and fitIdentifier never writes one, so only an escaped name
 * begins with it.
 */
const ESCAPE = '_.';

/** What OpenAI accepts as a function name (openai-openapi `FunctionObject.name`). */
const OPENAI_FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * A client's function name as Gemini takes it (GEMINI_FUNCTION_NAME: first character a
 * letter or "_"; letters, digits, "_", ".", ":" and "-"; at most 128 characters), in
 * declarations, history and allowedFunctionNames alike, so a call and its declaration keep
 * matching:
 * - a name Gemini accepts is kept;
 * - an OpenAI name Gemini refuses (it begins with a digit or "-", as "3d_render" does) is
 *   escaped as "_." + name, which fromGeminiFunctionName undoes when the model calls it, so
 *   the client sees its own name in tool_calls; a kept name that happens to begin with "_."
 *   is escaped too, so undoing stays unambiguous;
 * - anything else (a name carried in history from another provider, "tools/read") is
 *   fitted (fitIdentifier); the model cannot call it, since clients declare OpenAI names only.
 */
export function toGeminiFunctionName(name: string): string {
  if (name.startsWith(ESCAPE) || (OPENAI_FUNCTION_NAME.test(name) && !GEMINI_FUNCTION_NAME.accepts.test(name))) return ESCAPE + name;
  return fitIdentifier(name, GEMINI_FUNCTION_NAME);
}

/** The client's name for a function Gemini calls: the inverse of toGeminiFunctionName for every declared name. */
export function fromGeminiFunctionName(name: string): string {
  return name.startsWith(ESCAPE) ? name.slice(ESCAPE.length) : name;
}
