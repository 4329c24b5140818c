import { z } from 'zod';

/**
 * What Anthropic's Messages API answers, read leniently: unknown fields pass, and every
 * optional field also tolerates null, so a field Anthropic adds, or a value it starts to send
 * as null, never breaks the gateway. Only what the gateway reads is named.
 * References: https://docs.claude.com/en/api/messages, https://docs.claude.com/en/docs/build-with-claude/streaming,
 * https://docs.claude.com/en/api/errors (anthropic-sdk-typescript src/resources/messages/messages.ts, src/resources/shared.ts).
 */

const optional = <T extends z.ZodType>(schema: T) => schema.nullish();

/**
 * Token counts. Unlike OpenAI's, `input_tokens` excludes the cached prompt: the whole prompt
 * is input + cache_creation_input_tokens + cache_read_input_tokens. In a stream,
 * message_delta carries cumulative counts, and may revise any of them.
 */
export const anthropicUsageSchema = z.looseObject({
  input_tokens: optional(z.number()),
  output_tokens: optional(z.number()),
  cache_creation_input_tokens: optional(z.number()),
  cache_read_input_tokens: optional(z.number()),
  output_tokens_details: optional(z.looseObject({ thinking_tokens: optional(z.number()) })),
});

/**
 * One content block. Anthropic keeps adding block kinds (server tool use, web search
 * results, citations...), so the block is read as one object with optional fields rather
 * than as a union: a kind the gateway does not know is simply skipped.
 */
export const anthropicContentBlockSchema = z.looseObject({
  type: z.string(),
  text: optional(z.string()),
  id: optional(z.string()),
  name: optional(z.string()),
  input: optional(z.unknown()),
  /** A thinking block's text and the signature that must come back with it unchanged. */
  thinking: optional(z.string()),
  signature: optional(z.string()),
  /** A redacted_thinking block's encrypted thinking. */
  data: optional(z.string()),
});

/** A whole Message, as a non-streamed response and inside message_start (with empty content). */
export const anthropicMessageSchema = z.looseObject({
  id: optional(z.string()),
  type: optional(z.string()),
  role: optional(z.string()),
  model: optional(z.string()),
  content: optional(z.array(anthropicContentBlockSchema)),
  stop_reason: optional(z.string()),
  stop_sequence: optional(z.string()),
  usage: optional(anthropicUsageSchema),
});

/**
 * The error object: `type` is one of invalid_request_error, authentication_error,
 * billing_error, permission_error, not_found_error, request_too_large, rate_limit_error,
 * api_error, timeout_error, overloaded_error. A spend-limit 429 adds
 * `details.error_code: "enforced_spend_limit_reached"`.
 */
export const anthropicErrorSchema = z.looseObject({
  type: z.string(),
  message: z.string(),
  details: optional(z.looseObject({ error_code: optional(z.string()) })),
});

/** `{"type":"error","error":{...},"request_id":"req_..."}`; the top-level type is what tells it from an OpenAI error. */
export const anthropicErrorBodySchema = z.looseObject({
  type: z.literal('error'),
  error: anthropicErrorSchema,
  request_id: optional(z.string()),
});

/**
 * A content_block_delta's delta: text_delta{text}, input_json_delta{partial_json},
 * thinking_delta{thinking}, signature_delta{signature}, citations_delta{citation}, and kinds
 * yet to come, hence a string type rather than a union.
 */
export const anthropicDeltaSchema = z.looseObject({
  type: z.string(),
  text: optional(z.string()),
  partial_json: optional(z.string()),
  thinking: optional(z.string()),
  signature: optional(z.string()),
});

/** The stream events the gateway understands; the JSON `type` repeats the SSE event name. */
export const anthropicStreamEventSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('message_start'), message: anthropicMessageSchema }),
  z.looseObject({ type: z.literal('content_block_start'), index: z.number(), content_block: anthropicContentBlockSchema }),
  z.looseObject({ type: z.literal('content_block_delta'), index: z.number(), delta: anthropicDeltaSchema }),
  z.looseObject({ type: z.literal('content_block_stop'), index: z.number() }),
  z.looseObject({
    type: z.literal('message_delta'),
    delta: z.looseObject({ stop_reason: optional(z.string()), stop_sequence: optional(z.string()) }),
    usage: optional(anthropicUsageSchema),
  }),
  z.looseObject({ type: z.literal('message_stop') }),
  z.looseObject({ type: z.literal('ping') }),
  z.looseObject({ type: z.literal('error'), error: anthropicErrorSchema }),
]);

/** The `type` values of anthropicStreamEventSchema; any other event type is one Anthropic added later. */
export const ANTHROPIC_STREAM_EVENT_TYPES: ReadonlySet<string> = new Set([
  'message_start',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
  'ping',
  'error',
]);

export type AnthropicUsage = z.infer<typeof anthropicUsageSchema>;
export type AnthropicContentBlock = z.infer<typeof anthropicContentBlockSchema>;
export type AnthropicMessage = z.infer<typeof anthropicMessageSchema>;
export type AnthropicError = z.infer<typeof anthropicErrorSchema>;
export type AnthropicErrorBody = z.infer<typeof anthropicErrorBodySchema>;
export type AnthropicStreamEvent = z.infer<typeof anthropicStreamEventSchema>;
