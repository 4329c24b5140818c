import type { z } from 'zod';
import { GatewayError } from '../errors.js';
import { openAIIssueOf, type OpenAIIssue } from '../providers/openai/chat-field-schemas.js';
import { toParam } from './to-param.js';

/**
 * The 400 for a request that failed the Chat Completions schema, written as OpenAI writes
 * its own: the most specific issue, `param` naming where it is, OpenAI's code and wording
 * ("Invalid type for 'temperature': expected a decimal, but got a string instead.", code
 * `invalid_type`; "Invalid value: 'robot'. Supported values are: ...", code
 * `invalid_value`; "Missing required parameter: 'model'."). `input` is the parsed body,
 * read to say what was received.
 */
export function describeChatRequestIssue(error: z.ZodError, input: unknown): GatewayError {
  const issue = mostSpecificIssue(error.issues);
  const param = toParam(issue.path);
  const openAI = openAIIssueOf(issue);
  if (openAI) return invalidRequest(openAIMessage(openAI, param), param, openAI.code);
  const value = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return missing(param);
      return invalidRequest(`Invalid type for '${param}': expected ${expectedPhrase(issue)}, but got ${typePhrase(value)} instead.`, param, 'invalid_type');
    case 'invalid_union':
      if (isDiscriminatorIssue(issue)) {
        if (value === undefined) return missing(param);
        return invalidRequest(`Invalid value: ${quote(value)}. Supported values are: ${listValues((issue as { options?: unknown[] }).options ?? [])}.`, param, 'invalid_value');
      }
      if (value === undefined) return missing(param);
      return invalidRequest(`Invalid type for '${param}': expected ${expectedPhrase(issue)}, but got ${typePhrase(value)} instead.`, param, 'invalid_type');
    case 'invalid_value':
      return invalidRequest(`Invalid value: ${quote(value)}. Supported values are: ${listValues(issue.values)}.`, param, 'invalid_value');
    case 'too_big':
      return sizeIssue(issue, param, value, 'above');
    case 'too_small':
      return sizeIssue(issue, param, value, 'below');
    case 'invalid_format':
      if (issue.format === 'regex' && !issue.message.startsWith('Invalid string')) return invalidRequest(`Invalid '${param}'. ${issue.message}`, param, 'invalid_value');
      return invalidRequest(
        `Invalid '${param}': string does not match pattern. Expected a string that matches the pattern ${quote((issue as { pattern?: string }).pattern?.replace(/^\/|\/$/g, '') ?? '')}.`,
        param,
        'invalid_value',
      );
    case 'unrecognized_keys': {
      const unknown = toParam([...issue.path, issue.keys[0] ?? '']);
      return invalidRequest(`Unknown parameter: '${unknown}'.`, unknown, 'unknown_parameter');
    }
    default:
      return invalidRequest(param ? `Invalid '${param}': ${issue.message}.` : `Invalid request: ${issue.message}.`, param, 'invalid_value');
  }
}

function openAIMessage(issue: OpenAIIssue, param: string): string {
  if (issue.form === 'invalid') return `Invalid '${param}': ${issue.detail}`;
  if (issue.form === 'invalid_type') return `Invalid type for '${param}': ${issue.detail}`;
  return issue.detail;
}

function sizeIssue(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall, param: string, value: unknown, direction: 'above' | 'below'): GatewayError {
  const limit = Number('maximum' in issue ? issue.maximum : issue.minimum);
  if (issue.origin === 'array' && Array.isArray(value)) {
    if (direction === 'below' && value.length === 0) {
      return invalidRequest(`Invalid '${param}': empty array. Expected an array with minimum length ${limit}, but got an empty array instead.`, param, 'empty_array');
    }
    const words = direction === 'above' ? `array too long. Expected an array with maximum length` : `array too short. Expected an array with minimum length`;
    return invalidRequest(`Invalid '${param}': ${words} ${limit}, but got an array with length ${value.length} instead.`, param, `array_${direction}_${direction === 'above' ? 'max' : 'min'}_length`);
  }
  if (issue.origin === 'string' && typeof value === 'string') {
    if (direction === 'below' && value.length === 0) {
      return invalidRequest(`Invalid '${param}': empty string. Expected a string with minimum length ${limit}, but got an empty string instead.`, param, 'empty_string');
    }
    const words = direction === 'above' ? `string too long. Expected a string with maximum length` : `string too short. Expected a string with minimum length`;
    return invalidRequest(`Invalid '${param}': ${words} ${limit}, but got a string with length ${value.length} instead.`, param, `string_${direction}_${direction === 'above' ? 'max' : 'min'}_length`);
  }
  return invalidRequest(`Invalid '${param}': ${issue.message}.`, param, 'invalid_value');
}

/**
 * The issue that says most about what is wrong: the deepest, and among equally deep ones a
 * failed constraint rather than a type mismatch. A union's branches are searched, so `stop`
 * with five strings is "array too long" (its array branch) rather than "not a string".
 */
function mostSpecificIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  let best = issues[0]!;
  for (const issue of issues) {
    const candidate = issue.code === 'invalid_union' && !isDiscriminatorIssue(issue) ? specificInUnion(issue) : issue;
    if (rank(candidate) > rank(best)) best = candidate;
  }
  return best;
}

function specificInUnion(issue: z.core.$ZodIssueInvalidUnion): z.core.$ZodIssue {
  let best: z.core.$ZodIssue = issue;
  for (const branch of issue.errors) {
    if (branch.length === 0) continue;
    // Branch issues are relative to the union.
    const inner = mostSpecificIssue(branch);
    const absolute = { ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue;
    if (rank(absolute) > rank(best)) best = absolute;
  }
  return best;
}

/** Depth first; at equal depth a failed constraint (1) beats the union itself (0.5), which beats a type mismatch (0). */
function rank(issue: z.core.$ZodIssue): number {
  let weight = 1;
  if (issue.code === 'invalid_type') weight = 0;
  else if (issue.code === 'invalid_union' && !isDiscriminatorIssue(issue)) weight = 0.5;
  return issue.path.length * 2 + weight;
}

function isDiscriminatorIssue(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'invalid_union' && (issue as { discriminator?: unknown }).discriminator !== undefined;
}

/** A schema's own error message is the "expected …" phrase (chat-field-schemas.ts); otherwise the type's name. */
function expectedPhrase(issue: z.core.$ZodIssue): string {
  if (!issue.message.startsWith('Invalid input')) return issue.message;
  const expected = issue.code === 'invalid_type' ? issue.expected : undefined;
  switch (expected) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a decimal';
    case 'int':
      return 'an integer';
    case 'boolean':
      return 'a boolean';
    case 'object':
    case 'record':
      return 'an object';
    case 'array':
      return 'an array';
    case 'null':
      return 'null';
    default:
      return expected ?? 'another type';
  }
}

function typePhrase(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return 'a boolean';
  return typeof value;
}

/** A client value quoted for a message, cut short: messages are logged and must stay small. */
function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return `'${text.length > 100 ? `${text.slice(0, 100)}...` : text}'`;
}

/** OpenAI's list: 'a', 'b', and 'c'. */
function listValues(values: readonly unknown[]): string {
  const quoted = values.map((value) => `'${String(value)}'`);
  if (quoted.length <= 1) return quoted.join('');
  if (quoted.length === 2) return `${quoted[0]} and ${quoted[1]}`;
  return `${quoted.slice(0, -1).join(', ')}, and ${quoted.at(-1)}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function missing(param: string): GatewayError {
  return invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
}

function invalidRequest(message: string, param: string, code: string): GatewayError {
  return new GatewayError({ status: 400, code, message, param: param || null, type: 'invalid_request_error', retryable: false });
}
