/** A JSON string literal, strictly (no raw control characters, only JSON's escapes). */
const STRING = String.raw`"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"`;
const SCALAR = String.raw`(?:${STRING}|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|null|true|false)`;
/** A top-level member with a scalar value (id, object, created, model, usage: null...), never `choices`. */
const MEMBER = String.raw`(?!"choices")"[^"\\\x00-\x1f]*":${SCALAR}`;
/**
 * The chunk OpenAI streams for each token, compact as it writes it: scalar members, and one
 * choice whose delta carries text (and perhaps the role and a null refusal), without a
 * finish. Whatever matches is valid JSON with exactly that structure.
 */
const PLAIN_CHUNK = new RegExp(
  String.raw`^\{(?:${MEMBER},)*"choices":\[\{"index":(0|[1-9]\d*),"delta":\{(?:"role":"assistant",)?"content":(${STRING})(?:,"refusal":null)?\}(?:,"logprobs":null)?,"finish_reason":null\}\](?:,${MEMBER})*\}$`,
);

/**
 * The choice index and delta text of an OpenAI chunk (the data of one event) in its most
 * common shape, read without parsing it (JSON.parse of a chunk costs several times this);
 * undefined for any other shape (tool calls, a finish, several choices, spaces), which the
 * caller parses.
 */
export function plainOpenAIContent(payload: string): { index: number; content: string } | undefined {
  const match = PLAIN_CHUNK.exec(payload);
  if (match === null) return undefined;
  const literal = match[2]!;
  // Without escapes the text is the literal's inside; with them, JSON decodes it (valid: the pattern is strict).
  const content = literal.includes('\\') ? (JSON.parse(literal) as string) : literal.slice(1, -1);
  return { index: Number(match[1]), content };
}
