import { z } from 'zod';
import { addOpenAIIssue, functionName, nullable } from './chat-field-schemas.js';
import { describeSchemaContext, findJsonSchemaProblem } from './find-json-schema-problem.js';

/**
 * Tools, tool_choice and the deprecated functions of a Chat Completions request, after
 * openai-openapi `ChatCompletionTool`, `FunctionObject`, `FunctionParameters`,
 * `CustomToolChatCompletions` and `ChatCompletionToolChoiceOption`.
 */

/** A JSON Schema is an object (`FunctionParameters`: `type: object`). */
const jsonSchemaObject = z.record(z.string(), z.unknown());

/**
 * Checks a function's `parameters` as OpenAI does (findJsonSchemaProblem), plus the rule for
 * the top level: "schema must be a JSON Schema of 'type: \"object\"', got 'type: \"string\"'"
 * when a type other than object is given (OpenAI's answer, reported by clients such as
 * vercel/ai #1485; a missing type is accepted). Anthropic requires the same of input_schema.
 */
function checkParameters(payload: z.core.ParsePayload<{ name: string; parameters?: Record<string, unknown> | undefined; strict?: boolean | null | undefined }>): void {
  const { name, parameters, strict } = payload.value;
  if (parameters === undefined) return;
  const refuse = (message: string): void =>
    addOpenAIIssue(payload, { code: 'invalid_function_parameters', form: 'complete', detail: `Invalid schema for function '${name}': ${message}.` }, ['parameters']);
  if (parameters.type !== undefined && parameters.type !== 'object') {
    refuse(`schema must be a JSON Schema of 'type: "object"', got 'type: ${JSON.stringify(parameters.type)}'`);
    return;
  }
  const problem = findJsonSchemaProblem(parameters, { strict: strict === true });
  if (problem) refuse(`In context=${describeSchemaContext(problem.context)}, ${problem.message}`);
}

const functionDefinition = z
  .looseObject({
    name: functionName(),
    description: z.string().optional(),
    parameters: jsonSchemaObject.optional(),
    strict: nullable(z.boolean()),
  })
  .check(checkParameters);

const functionTool = z.looseObject({ type: z.literal('function'), function: functionDefinition });

/** A custom tool's input format; both shapes declare `additionalProperties: false`. */
const customToolFormat = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({
    type: z.literal('grammar'),
    grammar: z.looseObject({ definition: z.string(), syntax: z.enum(['lark', 'regex']) }),
  }),
]);

const customTool = z.looseObject({
  type: z.literal('custom'),
  custom: z.looseObject({ name: z.string().min(1), description: z.string().optional(), format: customToolFormat.optional() }),
});

/** "A max of 128 functions are supported" (OpenAI's API reference; refused as `array_above_max_length`). */
export const toolsSchema = z.array(z.discriminatedUnion('type', [functionTool, customTool])).max(128);

export const toolChoiceSchema = z.union(
  [
    z.enum(['none', 'auto', 'required']),
    z.discriminatedUnion('type', [
      z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string().min(1) }) }),
      z.looseObject({ type: z.literal('custom'), custom: z.looseObject({ name: z.string().min(1) }) }),
      z.looseObject({
        type: z.literal('allowed_tools'),
        allowed_tools: z.looseObject({ mode: z.enum(['auto', 'required']), tools: z.array(z.record(z.string(), z.unknown())) }),
      }),
    ]),
  ],
  { error: 'one of a string or object' },
);

/** Deprecated in favour of `tools`: 1 to 128 functions. */
export const functionsSchema = z.array(functionDefinition).min(1).max(128);

/** Deprecated in favour of `tool_choice`. */
export const functionCallSchema = z.union([z.enum(['none', 'auto']), z.looseObject({ name: z.string() })], { error: 'one of a string or object' });
