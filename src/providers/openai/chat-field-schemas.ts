import { z } from 'zod';

/**
 * Building blocks of the Chat Completions request schema that refuse a value the way
 * OpenAI's API does, with its codes and its words ("Invalid 'n': integer above maximum value.
 * Expected a value <= 128, but got 130 instead.", code `integer_above_max_value`).
 *
 * Two conventions carry OpenAI's wording through zod issues to the error body
 * (gateway/describe-chat-request-issue.ts):
 * - a refusal zod has no issue code for is a `custom` issue whose params hold an OpenAIIssue;
 * - a schema's own error message (`z.number({ error: 'an integer' })`, a union's `error`)
 *   is the phrase that completes "expected …" when the value has the wrong type. Only
 *   schemas without checks of their own set one, as zod uses it for every issue they raise.
 */
export interface OpenAIIssue {
  /** OpenAI's error code, e.g. `integer_above_max_value`. */
  code: string;
  /**
   * How the message is written: `invalid` → "Invalid 'param': <detail>", `invalid_type` →
   * "Invalid type for 'param': <detail>", `complete` → the detail is the whole message.
   */
  form: 'invalid' | 'invalid_type' | 'complete';
  detail: string;
}

type Payload = z.core.ParsePayload<unknown>;

/** Records an OpenAI-worded refusal at `path` (relative to the value being checked). */
export function addOpenAIIssue(payload: Payload, issue: OpenAIIssue, path: PropertyKey[] = []): void {
  payload.issues.push({ code: 'custom', input: payload.value, message: issue.detail, params: { openai: issue }, path });
}

/** The OpenAI-worded refusal a custom issue carries, if any. */
export function openAIIssueOf(issue: z.core.$ZodIssue): OpenAIIssue | undefined {
  if (issue.code !== 'custom') return undefined;
  return (issue.params as { openai?: OpenAIIssue } | undefined)?.openai;
}

/** An optional field that also takes null, as most of OpenAI's optional parameters do. */
export const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

interface Bounds {
  minimum?: number;
  maximum?: number;
}

/** A JSON number (OpenAI's "decimal") within inclusive bounds. */
export function decimal(bounds: Bounds = {}) {
  return z.number({ error: 'a decimal' }).check((payload) => checkBounds(payload, 'decimal', bounds));
}

/**
 * A JSON integer within inclusive bounds. Not zod's `int()`: that stops at 2^53, and OpenAI
 * takes 64-bit integers (`seed`).
 */
export function integer(bounds: Bounds = {}) {
  return z.number({ error: 'an integer' }).check((payload) => {
    if (!Number.isInteger(payload.value)) {
      addOpenAIIssue(payload, { code: 'invalid_type', form: 'invalid_type', detail: 'expected an integer, but got a decimal instead.' });
      return;
    }
    checkBounds(payload, 'integer', bounds);
  });
}

function checkBounds(payload: Payload, kind: 'decimal' | 'integer', bounds: Bounds): void {
  const value = payload.value as number;
  if (bounds.maximum !== undefined && value > bounds.maximum) {
    addOpenAIIssue(payload, {
      code: `${kind}_above_max_value`,
      form: 'invalid',
      detail: `${kind} above maximum value. Expected a value <= ${bounds.maximum}, but got ${value} instead.`,
    });
  } else if (bounds.minimum !== undefined && value < bounds.minimum) {
    addOpenAIIssue(payload, {
      code: `${kind}_below_min_value`,
      form: 'invalid',
      detail: `${kind} below minimum value. Expected a value >= ${bounds.minimum}, but got ${value} instead.`,
    });
  }
}

/**
 * A string of at most `maximum` characters. OpenAI counts characters (code points), not
 * UTF-16 units; the exact count is taken only when the UTF-16 length is over the limit.
 */
export function text(maximum: number) {
  return z.string().check((payload) => {
    if (payload.value.length <= maximum) return;
    const length = characterCount(payload.value);
    if (length > maximum) addOpenAIIssue(payload, stringTooLong(maximum, length));
  });
}

export function stringTooLong(maximum: number, length: number): OpenAIIssue {
  return {
    code: 'string_above_max_length',
    form: 'invalid',
    detail: `string too long. Expected a string with maximum length ${maximum}, but got a string with length ${length} instead.`,
  };
}

/** Characters as OpenAI counts them: code points, so a surrogate pair is one. */
export function characterCount(value: string): number {
  let count = 0;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 0xdc00 || code > 0xdfff) count++;
  }
  return count;
}

/**
 * OpenAI's limit on one content string (a message's content, a text part): longer strings
 * are refused with "string too long. Expected a string with maximum length 10485760".
 */
export const MAX_CONTENT_CHARACTERS = 10_485_760;

/**
 * The name of a function or a response schema: "Must be a-z, A-Z, 0-9, or contain
 * underscores and dashes, with a maximum length of 64" (openai-openapi `FunctionObject.name`,
 * `ResponseFormatJsonSchema.json_schema.name`).
 */
export function functionName() {
  return z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-zA-Z0-9_-]+$/);
}
