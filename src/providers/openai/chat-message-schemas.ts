import { z } from 'zod';
import { MAX_CONTENT_CHARACTERS, nullable, text } from './chat-field-schemas.js';

/**
 * Messages of a Chat Completions request, after openai-openapi
 * `ChatCompletionRequestMessage` and the content parts it references. Objects are loose,
 * as the description declares no `additionalProperties: false` for them: a field OpenAI adds
 * to a message passes through to OpenAI-kind providers.
 */

const contentText = text(MAX_CONTENT_CHARACTERS);

/** `prompt_cache_breakpoint` on a content part: `{"mode": "explicit"}`. */
const promptCacheBreakpoint = z.looseObject({ mode: z.enum(['explicit']) }).optional();

const textPart = z.looseObject({ type: z.literal('text'), text: contentText, prompt_cache_breakpoint: promptCacheBreakpoint });
const imagePart = z.looseObject({
  type: z.literal('image_url'),
  image_url: z.looseObject({
    // `format: uri`: a URI starts with a scheme (`https:`, `data:`). Only the start is
    // looked at, so a data URL of several megabytes costs nothing to check.
    url: z
      .string()
      .min(1)
      .regex(/^[A-Za-z][A-Za-z0-9+.-]*:/, 'Expected a valid URL, but got a value with an invalid format.'),
    detail: z.enum(['auto', 'low', 'high']).optional(),
  }),
  prompt_cache_breakpoint: promptCacheBreakpoint,
});
const audioPart = z.looseObject({
  type: z.literal('input_audio'),
  input_audio: z.looseObject({ data: z.string(), format: z.enum(['wav', 'mp3']) }),
  prompt_cache_breakpoint: promptCacheBreakpoint,
});
const filePart = z.looseObject({
  type: z.literal('file'),
  file: z.looseObject({ filename: z.string().optional(), file_data: z.string().optional(), file_id: z.string().optional() }),
  prompt_cache_breakpoint: promptCacheBreakpoint,
});
const refusalPart = z.looseObject({ type: z.literal('refusal'), refusal: contentText });

const userContentPart = z.discriminatedUnion('type', [textPart, imagePart, audioPart, filePart]);

/** A string, or a non-empty array of text parts (system, developer and tool messages). */
const textContent = z.union([contentText, z.array(textPart).min(1)], { error: 'one of a string or array of objects' });

export const functionToolCallSchema = z.looseObject({
  id: z.string().min(1),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string().min(1), arguments: contentText }),
});

const systemMessage = z.looseObject({ role: z.literal('system'), content: textContent, name: z.string().optional() });
const developerMessage = z.looseObject({ role: z.literal('developer'), content: textContent, name: z.string().optional() });
const userMessage = z.looseObject({
  role: z.literal('user'),
  content: z.union([contentText, z.array(userContentPart).min(1)], { error: 'one of a string or array of objects' }),
  name: z.string().optional(),
});
const assistantMessage = z.looseObject({
  role: z.literal('assistant'),
  content: nullable(
    z.union([contentText, z.array(z.discriminatedUnion('type', [textPart, refusalPart])).min(1)], { error: 'one of a string or array of objects' }),
  ),
  refusal: nullable(z.string()),
  name: z.string().optional(),
  audio: nullable(z.looseObject({ id: z.string() })),
  // OpenAI also takes custom tool calls (`type: "custom"`). They stay refused here until the
  // Anthropic and Gemini translators handle them: both read `function` on every call.
  tool_calls: z.array(functionToolCallSchema).optional(),
  function_call: nullable(z.looseObject({ name: z.string(), arguments: contentText })),
});
const toolMessage = z.looseObject({ role: z.literal('tool'), content: textContent, tool_call_id: z.string().min(1) });
const functionMessage = z.looseObject({ role: z.literal('function'), content: contentText.nullable(), name: z.string() });

export const messageSchema = z.discriminatedUnion('role', [systemMessage, developerMessage, userMessage, assistantMessage, toolMessage, functionMessage]);
