import { z } from 'zod';
import { addOpenAIIssue, functionName, nullable } from './chat-field-schemas.js';
import { describeSchemaContext, findJsonSchemaProblem } from './find-json-schema-problem.js';

/**
 * `response_format` of a Chat Completions request (openai-openapi `ResponseFormatText`,
 * `ResponseFormatJsonObject`, `ResponseFormatJsonSchema`). A JSON schema is checked as
 * OpenAI checks it ("Invalid schema for response_format 'name': In context=(), ...", code
 * `invalid_json_schema`); see findJsonSchemaProblem for the rules.
 */
const jsonSchemaFormat = z
  .looseObject({
    name: functionName(),
    description: z.string().optional(),
    schema: z.record(z.string(), z.unknown()).optional(),
    strict: nullable(z.boolean()),
  })
  .check((payload) => {
    const { name, schema, strict } = payload.value;
    if (schema === undefined) return;
    const problem = findJsonSchemaProblem(schema, { strict: strict === true });
    if (!problem) return;
    addOpenAIIssue(
      payload,
      { code: 'invalid_json_schema', form: 'complete', detail: `Invalid schema for response_format '${name}': In context=${describeSchemaContext(problem.context)}, ${problem.message}.` },
      ['schema'],
    );
  });

export const responseFormatSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({ type: z.literal('json_schema'), json_schema: jsonSchemaFormat }),
]);
