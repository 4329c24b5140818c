import { z } from 'zod';
import { addOpenAIIssue, characterCount, decimal, integer, nullable, stringTooLong, text } from './chat-field-schemas.js';
import { functionToolCallSchema, messageSchema } from './chat-message-schemas.js';
import { responseFormatSchema } from './chat-response-format-schema.js';
import { functionCallSchema, functionsSchema, toolChoiceSchema, toolsSchema } from './chat-tool-schemas.js';

export { messageSchema } from './chat-message-schemas.js';
export const toolCallSchema = functionToolCallSchema;

/**
 * The OpenAI Chat Completions request as the gateway accepts it: every field of openai-openapi
 * `CreateChatCompletionRequest` (https://github.com/openai/openai-openapi, `openapi.yaml`) is
 * checked by its published rules (types, ranges, lengths, counts, enums, required fields) and
 * by the rules its descriptions state, so that a request the gateway accepts is one OpenAI
 * would accept. Refusals use OpenAI's codes and wording.
 *
 * Unknown top-level fields pass through, as the description declares no
 * `additionalProperties: false`: OpenAI adds parameters often, and an OpenAI-kind upstream
 * judges them itself. Translating adapters decide per field what they can honour.
 */

/**
 * `metadata`: "Set of 16 key-value pairs ... Keys are strings with a maximum length of 64
 * characters. Values are strings with a maximum length of 512 characters." (`Metadata`).
 */
const metadataSchema = z.record(z.string(), z.string()).check((payload) => {
  const keys = Object.keys(payload.value);
  if (keys.length > 16) {
    addOpenAIIssue(payload, {
      code: 'object_above_max_properties',
      form: 'invalid',
      detail: `too many properties. Expected an object with at most 16 properties, but got an object with ${keys.length} properties instead.`,
    });
    return;
  }
  for (const key of keys) {
    const keyLength = characterCount(key);
    if (keyLength > 64) {
      addOpenAIIssue(payload, {
        code: 'string_above_max_length',
        form: 'complete',
        detail: `Invalid property name in 'metadata': '${key.slice(0, 64)}...' is too long. Expected a string with maximum length 64, but got a string with length ${keyLength} instead.`,
      });
      return;
    }
    const valueLength = characterCount(payload.value[key]!);
    if (valueLength > 512) {
      addOpenAIIssue(payload, stringTooLong(512, valueLength), [key]);
      return;
    }
  }
});

/** `logit_bias`: token ids (as object keys) to an integer bias "from -100 to 100". */
const logitBiasSchema = z.record(z.string(), integer({ minimum: -100, maximum: 100 })).check((payload) => {
  for (const key of Object.keys(payload.value)) {
    if (!/^\d+$/.test(key)) {
      addOpenAIIssue(payload, { code: 'invalid_value', form: 'complete', detail: `Invalid key in 'logit_bias': '${key.slice(0, 64)}'. Keys are token ids: non-negative integers.` });
      return;
    }
  }
});

const textPartOnly = z.looseObject({ type: z.literal('text'), text: z.string() });

export const chatCompletionRequestSchema = z
  .looseObject({
    model: z.string().min(1),
    messages: z.array(messageSchema).min(1),
    stream: nullable(z.boolean()),
    stream_options: nullable(z.looseObject({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() })),
    temperature: nullable(decimal({ minimum: 0, maximum: 2 })),
    top_p: nullable(decimal({ minimum: 0, maximum: 1 })),
    n: nullable(integer({ minimum: 1, maximum: 128 })),
    max_tokens: nullable(integer({ minimum: 1 })),
    max_completion_tokens: nullable(integer({ minimum: 1 })),
    stop: nullable(z.union([z.string(), z.array(z.string()).min(1).max(4)], { error: 'one of a string or array of strings' })),
    presence_penalty: nullable(decimal({ minimum: -2, maximum: 2 })),
    frequency_penalty: nullable(decimal({ minimum: -2, maximum: 2 })),
    logit_bias: nullable(logitBiasSchema),
    logprobs: nullable(z.boolean()),
    top_logprobs: nullable(integer({ minimum: 0, maximum: 20 })),
    // int64's range; 2^63 - 1 is no double, so the upper bound is its nearest, 2^63.
    seed: nullable(integer({ minimum: -(2 ** 63), maximum: 2 ** 63 })),
    user: z.string().optional(),
    // "with a maximum length of 64 characters"
    safety_identifier: nullable(text(64)),
    prompt_cache_key: nullable(z.string()),
    prompt_cache_retention: nullable(z.enum(['in_memory', '24h'])),
    prompt_cache_options: z.looseObject({ ttl: z.enum(['30m']).optional(), mode: z.enum(['implicit', 'explicit']).optional() }).optional(),
    tools: toolsSchema.optional(),
    tool_choice: toolChoiceSchema.optional(),
    parallel_tool_calls: z.boolean().optional(),
    functions: functionsSchema.optional(),
    function_call: functionCallSchema.optional(),
    response_format: responseFormatSchema.optional(),
    reasoning_effort: nullable(z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'])),
    verbosity: nullable(z.enum(['low', 'medium', 'high'])),
    service_tier: nullable(z.enum(['auto', 'default', 'flex', 'scale', 'priority', 'fast'])),
    store: nullable(z.boolean()),
    metadata: nullable(metadataSchema),
    modalities: nullable(z.array(z.enum(['text', 'audio']))),
    audio: nullable(
      z.looseObject({
        voice: z.union([z.string(), z.strictObject({ id: z.string() })], { error: 'one of a string or object' }),
        format: z.enum(['wav', 'aac', 'mp3', 'flac', 'opus', 'pcm16']),
      }),
    ),
    prediction: nullable(z.looseObject({ type: z.literal('content'), content: z.union([z.string(), z.array(textPartOnly).min(1)], { error: 'one of a string or array of objects' }) })),
    web_search_options: z
      .looseObject({
        user_location: nullable(
          z.looseObject({
            type: z.literal('approximate'),
            approximate: z.looseObject({ country: z.string().optional(), region: z.string().optional(), city: z.string().optional(), timezone: z.string().optional() }),
          }),
        ),
        search_context_size: z.enum(['low', 'medium', 'high']).optional(),
      })
      .optional(),
    moderation: nullable(
      z.looseObject({
        model: z.string(),
        policy: nullable(z.looseObject({ input: nullable(z.looseObject({ mode: z.enum(['score', 'block']) })), output: nullable(z.looseObject({ mode: z.enum(['score', 'block']) })) })),
      }),
    ),
  })
  .check((payload) => {
    const request = payload.value;
    // "Options for streaming response. Only set this when you set `stream: true`." OpenAI
    // refuses the field otherwise, in these words.
    if (request.stream_options != null && request.stream !== true) {
      addOpenAIIssue(payload, { code: 'invalid_value', form: 'complete', detail: "The 'stream_options' parameter is only allowed when 'stream' is enabled." }, ['stream_options']);
    }
    // "`logprobs` must be set to `true` if this parameter is used." 0 asks for no
    // alternatives and is let through (the Gemini translator draws the same line).
    if (request.top_logprobs != null && request.top_logprobs > 0 && request.logprobs !== true) {
      addOpenAIIssue(payload, { code: 'invalid_value', form: 'complete', detail: "The 'top_logprobs' parameter is only allowed when 'logprobs' is enabled." }, ['top_logprobs']);
    }
    // `audio`: "Required when audio output is requested with `modalities: ["audio"]`."
    if (request.modalities?.includes('audio') && request.audio == null) {
      addOpenAIIssue(payload, { code: 'missing_required_parameter', form: 'complete', detail: "Missing required parameter: 'audio' (required when 'modalities' includes \"audio\")." }, ['audio']);
    }
  });

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type ChatMessage = z.infer<typeof messageSchema>;
export type ToolCall = z.infer<typeof toolCallSchema>;
