const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The deepest nesting of arrays and objects accepted in a request body (the body's own
 * object is level 1). The Messages API's own structure ends about eight levels down; tool
 * input schemas and tool_use inputs add their own, and 128 leaves them room. The bound
 * exists because every recursive walk of the parsed value (schema validation, translation,
 * JSON.stringify) overflows the stack a few thousand levels down, while V8's JSON.parse does
 * not: depth must be measured on the text, before parsing.
 *
 * Temporary: the request-validation branch adds the same bound for chat requests
 * (src/json/find-json-nesting-excess.ts, MAX_JSON_NESTING_DEPTH = 128); once both are merged
 * this file should give way to that one.
 */
export const MAX_JSON_NESTING_DEPTH = 128;

/**
 * Whether JSON text nests deeper than `limit`. One pass, no allocation: brackets are counted
 * outside strings, and strings are skipped with indexOf (a quote is escaped when an odd run
 * of backslashes precedes it). Text that is not JSON is left for the parser to refuse.
 */
export function jsonNestingExceeds(text: string, limit: number = MAX_JSON_NESTING_DEPTH): boolean {
  let depth = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      index = closingQuote(text, index);
      if (index === -1) return false;
    } else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      if (++depth > limit) return true;
    } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/** The offset of the quote closing the string opened at `open`, or -1 if it never closes. */
function closingQuote(text: string, open: number): number {
  let quote = text.indexOf('"', open + 1);
  while (quote !== -1) {
    let backslashes = 0;
    for (let before = quote - 1; text.charCodeAt(before) === BACKSLASH; before--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return -1;
}
