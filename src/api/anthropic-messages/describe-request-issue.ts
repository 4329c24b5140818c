import type { z } from 'zod';
import type { GatewayError } from '../../errors.js';
import { dottedPath, invalidRequest } from './invalid-request.js';

/**
 * A failed validation as the 400 Anthropic would give, in its own wording, which follows
 * pydantic's (recorded Anthropic errors: `max_tokens: Field required`,
 * `messages.0.content.1.text.text: Input should be a valid string`,
 * `tools.22.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`). One issue
 * is reported: the most specific one. The path is the JSON path of the field
 * (`messages.0.content.1.source.media_type`); Anthropic also inserts the union member's tag
 * (`content.1.image.source.base64.media_type`), which names no field and is left out.
 */
export function describeRequestIssue(error: z.ZodError, input: unknown): GatewayError {
  const issue = mostSpecificIssue(error.issues);
  const param = dottedPath(issue.path) || null;
  const missing = isMissing(issue, input);
  return invalidRequest(param, missing ? 'Field required' : describe(issue, input), missing ? 'missing_required_parameter' : 'invalid_value');
}

type Issue = z.core.$ZodIssue;

/** An issue for a union whose every branch failed on the value's type: "a valid string or a valid list". */
interface TypeMismatch {
  code: 'union_type_mismatch';
  path: PropertyKey[];
  expected: string[];
  message: string;
}

type Reported = Issue | TypeMismatch;

/**
 * The deepest issue: it says most about what is wrong. Union branches are searched too (their
 * paths are relative to the union); on a tie the earlier branch wins, because the schemas
 * list the specific branch (known block kinds, custom tools) before the catch-all.
 */
function mostSpecificIssue(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): Reported {
  let best: Reported | undefined;
  for (const issue of issues) {
    const candidate = issue.code === 'invalid_union' && issue.errors.length > 0 ? inUnion(issue, prefix) : { ...issue, path: [...prefix, ...issue.path] };
    if (best === undefined || candidate.path.length > best.path.length) best = candidate;
  }
  return best!;
}

function inUnion(issue: z.core.$ZodIssueInvalidUnion, prefix: readonly PropertyKey[]): Reported {
  const unionPath = [...prefix, ...issue.path];
  const branches = issue.errors.filter((branch) => branch.length > 0).map((branch) => mostSpecificIssue(branch, unionPath));
  let best = branches[0]!;
  for (const branch of branches) if (branch.path.length > best.path.length) best = branch;
  if (best.path.length === unionPath.length && branches.every((branch) => branch.code === 'invalid_type' && branch.path.length === unionPath.length)) {
    const expected = [...new Set(branches.map((branch) => (branch as z.core.$ZodIssueInvalidType).expected as string))];
    return { code: 'union_type_mismatch', path: unionPath, expected, message: '' };
  }
  return best;
}

function isMissing(issue: Reported, input: unknown): boolean {
  if (issue.code !== 'invalid_type' && issue.code !== 'union_type_mismatch' && !isUnknownTag(issue)) return false;
  return valueAt(input, issue.path) === undefined;
}

/** A discriminated union's tag (`type`, `role`) named none of its members. */
function isUnknownTag(issue: Reported): boolean {
  return issue.code === 'invalid_union' && issue.discriminator !== undefined && issue.errors.length === 0;
}

function describe(issue: Reported, input: unknown): string {
  switch (issue.code) {
    case 'union_type_mismatch':
      return `Input should be ${issue.expected.map(typeName).join(' or ')}`;
    case 'invalid_type':
      return `Input should be ${typeName(issue.expected)}`;
    case 'too_small':
      return tooSmall(issue, valueAt(input, issue.path));
    case 'too_big':
      return tooBig(issue, valueAt(input, issue.path));
    case 'invalid_value':
      return `Input should be ${alternatives(issue.values.map((value) => `'${String(value)}'`))}`;
    case 'invalid_union':
      if (isUnknownTag(issue)) {
        const options = 'options' in issue ? (issue.options ?? []) : [];
        return `Input tag '${String(valueAt(input, issue.path))}' found using '${String(issue.discriminator)}' does not match any of the expected tags: ${options.map((option) => `'${String(option)}'`).join(', ')}`;
      }
      return issue.message;
    default:
      // invalid_format (the tool-name pattern) and refinements carry the schema's own message.
      return issue.message;
  }
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a valid string',
  number: 'a valid number',
  int: 'a valid integer',
  boolean: 'a valid boolean',
  array: 'a valid list',
  object: 'a valid dictionary',
  record: 'a valid dictionary',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? `a valid ${expected}`;
}

function tooSmall(issue: z.core.$ZodIssueTooSmall, value: unknown): string {
  const minimum = Number(issue.minimum);
  if (issue.origin === 'array') return `List should have at least ${plural(minimum, 'item')} after validation, not ${Array.isArray(value) ? value.length : 0}`;
  if (issue.origin === 'string') return `String should have at least ${plural(minimum, 'character')}`;
  return `Input should be greater than ${issue.inclusive ? 'or equal to ' : ''}${minimum}`;
}

function tooBig(issue: z.core.$ZodIssueTooBig, value: unknown): string {
  const maximum = Number(issue.maximum);
  if (issue.origin === 'array') return `List should have at most ${plural(maximum, 'item')} after validation, not ${Array.isArray(value) ? value.length : 0}`;
  if (issue.origin === 'string') return `String should have at most ${plural(maximum, 'character')}`;
  return `Input should be less than ${issue.inclusive ? 'or equal to ' : ''}${maximum}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`: pydantic's way of listing what was expected. */
function alternatives(values: string[]): string {
  if (values.length <= 1) return values[0] ?? '';
  return `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
