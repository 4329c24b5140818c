import { z } from 'zod';

/**
 * The OpenAI Chat Completions request as the gateway accepts it
 * (openai-openapi `CreateChatCompletionRequest`). Known fields are checked strictly, with
 * OpenAI's ranges; unknown fields pass through, because OpenAI adds parameters often and
 * an OpenAI-kind upstream judges them itself. Translating adapters decide per field what
 * they can honour.
 */

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

const textPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const imagePart = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() }),
});
const audioPart = z.looseObject({
  type: z.literal('input_audio'),
  input_audio: z.looseObject({ data: z.string(), format: z.string() }),
});
const filePart = z.looseObject({ type: z.literal('file'), file: z.looseObject({}) });
const refusalPart = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });

const userContentPart = z.discriminatedUnion('type', [textPart, imagePart, audioPart, filePart], {
  error: 'expected a content part of type "text", "image_url", "input_audio" or "file"',
});

const textContent = z.union([z.string(), z.array(textPart)], { error: 'expected a string or an array of text parts' });

export const toolCallSchema = z.looseObject({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string() }),
});

const systemMessage = z.looseObject({ role: z.literal('system'), content: textContent, name: z.string().optional() });
const developerMessage = z.looseObject({ role: z.literal('developer'), content: textContent, name: z.string().optional() });
const userMessage = z.looseObject({
  role: z.literal('user'),
  content: z.union([z.string(), z.array(userContentPart)], { error: 'expected a string or an array of content parts' }),
  name: z.string().optional(),
});
const assistantMessage = z.looseObject({
  role: z.literal('assistant'),
  content: nullable(
    z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart, refusalPart]))], {
      error: 'expected a string, null, or an array of text and refusal parts',
    }),
  ),
  refusal: nullable(z.string()),
  tool_calls: z.array(toolCallSchema).optional(),
  name: z.string().optional(),
});
const toolMessage = z.looseObject({ role: z.literal('tool'), content: textContent, tool_call_id: z.string().min(1) });
const functionMessage = z.looseObject({ role: z.literal('function'), content: z.string().nullable(), name: z.string() });

export const messageSchema = z.discriminatedUnion('role', [systemMessage, developerMessage, userMessage, assistantMessage, toolMessage, functionMessage], {
  error: 'expected a message whose role is "system", "developer", "user", "assistant" or "tool"',
});

const functionTool = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'function names are 1-64 characters of a-z, A-Z, 0-9, "_" and "-"'),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: nullable(z.boolean()),
  }),
});

const toolChoice = z.union(
  [
    z.enum(['none', 'auto', 'required']),
    z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string().min(1) }) }),
    z.looseObject({ type: z.literal('allowed_tools') }),
  ],
  { error: 'expected "none", "auto", "required" or {"type":"function","function":{"name":...}}' },
);

const responseFormat = z.discriminatedUnion(
  'type',
  [
    z.looseObject({ type: z.literal('text') }),
    z.looseObject({ type: z.literal('json_object') }),
    z.looseObject({
      type: z.literal('json_schema'),
      json_schema: z.looseObject({
        name: z.string().min(1).max(64),
        description: z.string().optional(),
        schema: z.record(z.string(), z.unknown()).optional(),
        strict: nullable(z.boolean()),
      }),
    }),
  ],
  { error: 'expected a response_format of type "text", "json_object" or "json_schema"' },
);

export const chatCompletionRequestSchema = z.looseObject({
  model: z.string({ error: 'expected the model name as a string' }).min(1, 'the model name is empty'),
  messages: z.array(messageSchema, { error: 'expected an array of messages' }).min(1, 'at least one message is required'),
  stream: nullable(z.boolean()),
  stream_options: nullable(z.looseObject({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() })),
  temperature: nullable(z.number().min(0).max(2)),
  top_p: nullable(z.number().min(0).max(1)),
  n: nullable(z.number().int().min(1).max(128)),
  max_tokens: nullable(z.number().int().min(1)),
  max_completion_tokens: nullable(z.number().int().min(1)),
  stop: nullable(z.union([z.string(), z.array(z.string()).min(1).max(4)], { error: 'expected a string or an array of 1 to 4 strings' })),
  presence_penalty: nullable(z.number().min(-2).max(2)),
  frequency_penalty: nullable(z.number().min(-2).max(2)),
  logit_bias: nullable(z.record(z.string(), z.number().min(-100).max(100))),
  logprobs: nullable(z.boolean()),
  top_logprobs: nullable(z.number().int().min(0).max(20)),
  seed: nullable(z.number().int()),
  user: z.string().optional(),
  tools: z.array(z.union([functionTool, z.looseObject({ type: z.literal('custom') })], { error: 'expected a tool of type "function"' })).optional(),
  tool_choice: toolChoice.optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: responseFormat.optional(),
  reasoning_effort: nullable(z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh'])),
});

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type ChatMessage = z.infer<typeof messageSchema>;
export type ToolCall = z.infer<typeof toolCallSchema>;
