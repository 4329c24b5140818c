import { createRequire } from 'node:module';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';

/** What is wrong with a JSON Schema, and where: `context` is the path inside the schema. */
export interface JsonSchemaProblem {
  context: string[];
  message: string;
}

/**
 * The first reason OpenAI would refuse `schema` as a function's `parameters` or a
 * `response_format` JSON schema, or undefined. OpenAI refuses with "Invalid schema for
 * function 'f': In context=('properties', 'a'), array schema missing items." (code
 * `invalid_function_parameters`), and the same for response formats. The rules, and where
 * each comes from:
 *
 * 1. The schema is a valid JSON Schema: OpenAI checks it against the meta-schema ("[] is not
 *    of type 'object', 'boolean'", "True is not of type 'array'" for `required: true`; both
 *    reported in client issue trackers). Checked with Ajv against the dialect's meta-schema:
 *    2020-12 by default, draft-07 when `$schema` names draft-06 or -07 (zod-to-json-schema
 *    writes draft-07, where `items` may be an array). Other dialects are not checked, as
 *    nothing says how OpenAI reads them.
 * 2. An array schema has `items` (or `prefixItems`): "array schema missing items", refused
 *    in and out of strict mode (reported against tools in MCP adapters and agent
 *    frameworks).
 * 3. With `strict: true` (Structured Outputs, https://platform.openai.com/docs/guides/structured-outputs#supported-schemas):
 *    the root is an object; every object schema has `properties`, `additionalProperties:
 *    false`, and lists every property in `required`.
 *
 * The walk is iterative: the schema comes from a client, and its depth is bounded only by
 * MAX_JSON_NESTING_DEPTH.
 */
export function findJsonSchemaProblem(schema: Record<string, unknown>, options: { strict: boolean }): JsonSchemaProblem | undefined {
  if (options.strict && !hasType(schema, 'object')) return { context: [], message: 'the root must be an object schema (`"type": "object"`), not a union or another type' };
  const metaProblem = findMetaSchemaProblem(schema);
  if (metaProblem) return metaProblem;
  return findSubschemaProblem(schema, options.strict);
}

/**
 * Keywords whose value holds subschemas (JSON Schema 2020-12 and draft-07): one schema, a
 * map of names to schemas, or a list of schemas. `items` is a schema, or a list in draft-07.
 * Other keywords (`enum`, `const`, `default`, `examples`) hold data, not schemas.
 */
const SUBSCHEMA_KEYWORDS = new Map<string, 'schema' | 'map' | 'list'>([
  ['items', 'schema'],
  ['additionalItems', 'schema'],
  ['additionalProperties', 'schema'],
  ['unevaluatedItems', 'schema'],
  ['unevaluatedProperties', 'schema'],
  ['contains', 'schema'],
  ['propertyNames', 'schema'],
  ['not', 'schema'],
  ['if', 'schema'],
  ['then', 'schema'],
  ['else', 'schema'],
  ['properties', 'map'],
  ['patternProperties', 'map'],
  ['$defs', 'map'],
  ['definitions', 'map'],
  ['dependentSchemas', 'map'],
  ['anyOf', 'list'],
  ['oneOf', 'list'],
  ['allOf', 'list'],
  ['prefixItems', 'list'],
]);

/** A subschema waiting to be checked; its place is kept as a chain, written out only for a problem. */
interface Pending {
  schema: unknown;
  parent: Pending | undefined;
  segments: readonly string[];
}

function findSubschemaProblem(root: Record<string, unknown>, strict: boolean): JsonSchemaProblem | undefined {
  const pending: Pending[] = [{ schema: root, parent: undefined, segments: [] }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const schema = next.schema;
    if (!isObject(schema)) continue;
    const problem = ruleProblem(schema, strict);
    if (problem) return { context: contextOf(next), message: problem };
    for (const keyword in schema) {
      const kind = SUBSCHEMA_KEYWORDS.get(keyword);
      const value = schema[keyword];
      if (kind === undefined || value === null || typeof value !== 'object') continue;
      if (Array.isArray(value)) {
        if (kind === 'list' || keyword === 'items') for (const [index, child] of value.entries()) pending.push({ schema: child, parent: next, segments: [keyword, String(index)] });
      } else if (kind === 'map') {
        for (const name in value) pending.push({ schema: (value as Record<string, unknown>)[name], parent: next, segments: [keyword, name] });
      } else if (kind === 'schema') {
        pending.push({ schema: value, parent: next, segments: [keyword] });
      }
    }
  }
  return undefined;
}

function contextOf(entry: Pending): string[] {
  const chain: (readonly string[])[] = [];
  for (let current: Pending | undefined = entry; current !== undefined; current = current.parent) chain.push(current.segments);
  return chain.reverse().flat();
}

function ruleProblem(schema: Record<string, unknown>, strict: boolean): string | undefined {
  if (hasType(schema, 'array') && schema.items === undefined && schema.prefixItems === undefined) return 'array schema missing items';
  if (!strict || !hasType(schema, 'object')) return undefined;
  if (!isObject(schema.properties)) return 'object schema missing properties';
  if (schema.additionalProperties !== false) return "'additionalProperties' is required to be supplied and to be false";
  const required = Array.isArray(schema.required) ? new Set(schema.required) : new Set();
  const missing = Object.keys(schema.properties).filter((name) => !required.has(name));
  if (missing.length > 0) {
    return `'required' is required to be supplied and to be an array including every key in properties. Missing ${missing.map((name) => `'${name}'`).join(', ')}`;
  }
  return undefined;
}

function hasType(schema: Record<string, unknown>, type: string): boolean {
  return schema.type === type || (Array.isArray(schema.type) && schema.type.includes(type));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

interface MetaSchemaValidators {
  draft2020: ValidateFunction;
  draft07: ValidateFunction;
}

let metaSchemaValidators: MetaSchemaValidators | undefined;

/**
 * Compiles the meta-schema validators now rather than on the first request that carries a
 * schema. Compiling blocks the event loop for a few hundred milliseconds (more on a busy
 * machine), long enough for Envoy's 1 s health checks of the sidecar to fail; the sidecar
 * calls this at start, before it serves. Tests that import the request schema skip it.
 */
export function prepareJsonSchemaChecks(): void {
  validators();
}

/**
 * The meta-schema validators, compiled once: on first use, or at start through
 * prepareJsonSchemaChecks. They are pure functions once built, so sharing them holds no
 * state between requests.
 */
function validators(): MetaSchemaValidators {
  if (metaSchemaValidators) return metaSchemaValidators;
  const ajv = new Ajv2020({ strict: false, validateFormats: false, validateSchema: false, allErrors: false });
  ajv.addMetaSchema(createRequire(import.meta.url)('ajv/dist/refs/json-schema-draft-07.json') as Record<string, unknown>);
  metaSchemaValidators = {
    draft2020: ajv.getSchema('https://json-schema.org/draft/2020-12/schema')!,
    draft07: ajv.getSchema('http://json-schema.org/draft-07/schema')!,
  };
  return metaSchemaValidators;
}

function findMetaSchemaProblem(schema: Record<string, unknown>): JsonSchemaProblem | undefined {
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : undefined;
  let validate: ValidateFunction;
  if (dialect === undefined || /json-schema\.org\/draft\/20(19-09|20-12)\/schema/.test(dialect)) validate = validators().draft2020;
  else if (/json-schema\.org\/draft-0[67]\/schema/.test(dialect)) validate = validators().draft07;
  else return undefined;
  if (validate(schema)) return undefined;
  const error = validate.errors?.[0];
  if (!error) return undefined;
  return { context: error.instancePath.split('/').slice(1).map(unescapePointer), message: describeMetaSchemaError(error) };
}

function describeMetaSchemaError(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'type') {
    const types = Array.isArray(params.type) ? params.type : [params.type];
    return `expected ${types.map((type) => `'${String(type)}'`).join(' or ')}`;
  }
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) return `expected one of ${params.allowedValues.map((value) => `'${String(value)}'`).join(', ')}`;
  if (error.keyword === 'uniqueItems') return 'items must be unique';
  if (error.keyword === 'minItems') return `expected at least ${String(params.limit)} item(s)`;
  return error.message ?? 'not a valid JSON Schema';
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** OpenAI's way of writing a place in a schema: a Python tuple, `()`, `('required',)`, `('properties', 'a')`. */
export function describeSchemaContext(context: readonly string[]): string {
  if (context.length === 0) return '()';
  if (context.length === 1) return `('${context[0]}',)`;
  return `(${context.map((segment) => `'${segment}'`).join(', ')})`;
}
