import { closingQuote } from './find-json-nesting-excess.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

interface Frame {
  array: boolean;
  index: number;
  key: string;
}

/**
 * The path, as object keys and array indexes, of the value that starts at `offset` in JSON
 * text: `["tools", 0, "function", "parameters", "properties", ...]`. Only the first
 * `maxSegments` segments are returned, and only their keys are decoded, so the cost stays
 * one pass over the text before `offset` whatever its depth.
 *
 * Meant for the rare refusal (findJsonNestingExcess found the offset): it allocates per
 * container, which the scan on every request does not.
 */
export function jsonPathAt(text: string, offset: number, maxSegments: number): (string | number)[] {
  const frames: Frame[] = [];
  let expectingKey = false;
  for (let index = 0; index < offset; index++) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      const end = closingQuote(text, index);
      if (end === -1) break;
      const frame = frames.at(-1);
      if (expectingKey && frame !== undefined) {
        if (frames.length <= maxSegments) frame.key = decodeKey(text.slice(index, end + 1));
        expectingKey = false;
      }
      index = end;
    } else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      frames.push({ array: code === OPEN_BRACKET, index: 0, key: '' });
      expectingKey = code === OPEN_BRACE;
    } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) {
      frames.pop();
      expectingKey = false;
    } else if (code === COMMA) {
      const frame = frames.at(-1);
      if (frame?.array) frame.index++;
      else if (frame) expectingKey = true;
    }
  }
  return frames.slice(0, maxSegments).map((frame) => (frame.array ? frame.index : frame.key));
}

function decodeKey(literal: string): string {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return literal.slice(1, -1);
  }
}
