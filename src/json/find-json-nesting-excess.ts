/**
 * The deepest JSON nesting the gateway accepts in anything a client sends: the request body
 * (whose own object is level 1) and each JSON document it parses out of a string (tool-call
 * `arguments`). Real requests need far less: the chat request's own structure ends about six
 * levels down, and a tool's JSON Schema nests two levels per object property, so 128 leaves
 * room for schemas with some sixty levels of properties, several times what OpenAI's
 * Structured Outputs accept (10 levels of object nesting). 128 is also serde_json's default
 * recursion limit, which Rust-based OpenAI-compatible servers inherit.
 *
 * The bound exists because JSON.stringify and every recursive walk (the gateway's, the JSON
 * Schema validator's, a provider's) overflow the stack on a few thousand levels; V8's
 * JSON.parse is iterative and does not, so nesting must be measured before anything walks
 * the parsed value.
 */
export const MAX_JSON_NESTING_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Where JSON text first nests deeper than `limit`: the offset of the `[` or `{` that opens
 * level `limit + 1`, or -1 when it never does.
 *
 * One pass over the text and no allocation: brackets are counted outside strings, and
 * string contents are skipped with `indexOf` (an escaped quote is one preceded by an odd
 * run of backslashes), so a body made mostly of prompt text or base64 costs little more
 * than a memory scan. The text need not be valid JSON: what is not JSON is left for the
 * parser to refuse, and an unterminated string ends the scan.
 */
export function findJsonNestingExcess(text: string, limit: number = MAX_JSON_NESTING_DEPTH): number {
  let depth = 0;
  const length = text.length;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      index = closingQuote(text, index);
      if (index === -1) return -1;
    } else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      depth++;
      if (depth > limit) return index;
    } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) {
      depth--;
    }
  }
  return -1;
}

/**
 * The offset of the quote that closes the JSON string opened at `open`, or -1 when the
 * string never ends. Linear in the string's length: each run of backslashes is looked at
 * once, by the quote that follows it.
 */
export function closingQuote(text: string, open: number): number {
  let quote = text.indexOf('"', open + 1);
  while (quote !== -1) {
    let backslashes = 0;
    for (let before = quote - 1; text.charCodeAt(before) === BACKSLASH; before--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return -1;
}
