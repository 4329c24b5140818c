import { z } from 'zod';

/**
 * The content blocks a client may send in Anthropic's Messages API, as the gateway accepts
 * them. Source of truth: the official TypeScript SDK's request types (@anthropic-ai/sdk 1.14.0,
 * src/resources/messages/messages.ts: `ContentBlockParam`, `TextBlockParam`, `ImageBlockParam`,
 * `DocumentBlockParam`, `ToolUseBlockParam`, `ToolResultBlockParam`, `ThinkingBlockParam`,
 * `RedactedThinkingBlockParam`) and https://docs.claude.com/en/api/messages.
 *
 * Policy, the same for every object here:
 * - Known fields are checked as Anthropic checks them (types, enumerations, required fields),
 *   so a malformed request gets a 400 naming the field before it costs anything.
 * - Unknown fields pass. Anthropic adds fields often (citations, callers, transformations...);
 *   when the target is Anthropic the bytes go through and Anthropic judges them, and a
 *   translator refuses every field it cannot honour (see anthropic-messages-to-openai-chat.ts).
 * - Block kinds the gateway does not know (server_tool_use, web_search_tool_result,
 *   search_result, container_upload, and kinds yet to come) pass as `UnknownContentBlock`,
 *   for the same reasons; translators refuse them.
 */

/** `{"type":"ephemeral","ttl":"5m"|"1h"}`: a prompt-cache breakpoint on the block that carries it. */
export const cacheControlSchema = z.looseObject({ type: z.literal('ephemeral'), ttl: z.enum(['5m', '1h']).optional() }).nullish();

export const textBlockSchema = z.looseObject({
  type: z.literal('text'),
  text: z.string(),
  cache_control: cacheControlSchema,
  citations: z.array(z.looseObject({ type: z.string() })).nullish(),
});

/** The four image media types Anthropic accepts (https://docs.claude.com/en/docs/build-with-claude/vision). */
export const IMAGE_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;

const imageSourceSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('base64'), media_type: z.enum(IMAGE_MEDIA_TYPES), data: z.string() }),
  z.looseObject({ type: z.literal('url'), url: z.string() }),
  /** An id from Anthropic's Files API. */
  z.looseObject({ type: z.literal('file'), file_id: z.string() }),
]);

export const imageBlockSchema = z.looseObject({
  type: z.literal('image'),
  source: imageSourceSchema,
  cache_control: cacheControlSchema,
});

/** What a `{"type":"content"}` document source may hold: text and image blocks. */
const documentContentSchema = z.union([z.string(), z.array(z.discriminatedUnion('type', [textBlockSchema, imageBlockSchema]))]);

const documentSourceSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('base64'), media_type: z.literal('application/pdf'), data: z.string() }),
  z.looseObject({ type: z.literal('text'), media_type: z.literal('text/plain'), data: z.string() }),
  z.looseObject({ type: z.literal('content'), content: documentContentSchema }),
  z.looseObject({ type: z.literal('url'), url: z.string() }),
  z.looseObject({ type: z.literal('file'), file_id: z.string() }),
]);

/** A PDF or plain-text document (https://docs.claude.com/en/docs/build-with-claude/pdf-support). */
export const documentBlockSchema = z.looseObject({
  type: z.literal('document'),
  source: documentSourceSchema,
  title: z.string().nullish(),
  context: z.string().nullish(),
  citations: z.looseObject({ enabled: z.boolean().optional() }).nullish(),
  cache_control: cacheControlSchema,
});

/** A tool call the assistant made earlier in the conversation; `input` is the call's arguments object. */
export const toolUseBlockSchema = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.record(z.string(), z.unknown()),
  cache_control: cacheControlSchema,
});

/** Visible reasoning from an earlier assistant turn; the signature lets Anthropic verify it was Claude's. */
export const thinkingBlockSchema = z.looseObject({ type: z.literal('thinking'), thinking: z.string(), signature: z.string() });

/** Reasoning Anthropic returned encrypted; passed back verbatim. */
export const redactedThinkingBlockSchema = z.looseObject({ type: z.literal('redacted_thinking'), data: z.string() });

/**
 * A block of a kind the gateway does not know, kept as sent. TypeScript cannot narrow a union
 * on a tag that is any string: tell the kinds apart with isKnownContentBlock first.
 */
export type UnknownContentBlock = { type: string } & Record<string, unknown>;

/**
 * A block whose `type` is a string none of `known` names; anything else is a known block gone
 * wrong. The check aborts: zod's union returns the one branch whose issues do not abort as if
 * it had matched, which would hide the known branch's precise issue.
 */
function unknownBlockSchema(known: ReadonlySet<string>): z.ZodType<UnknownContentBlock> {
  return z.looseObject({ type: z.string().refine((type) => !known.has(type), { abort: true }) });
}

/**
 * Known blocks first: when a known block fails, the union's first branch holds the precise
 * issue (`source.media_type`), and the unknown-block branch only says the type was known.
 */
function withUnknownBlocks<T extends z.ZodType>(known: T, types: readonly string[]) {
  return z.union([known, unknownBlockSchema(new Set(types))]);
}

const TOOL_RESULT_CONTENT_TYPES = ['text', 'image', 'document'] as const;
const toolResultKnownContentSchema = z.discriminatedUnion('type', [textBlockSchema, imageBlockSchema, documentBlockSchema]);

/** `content` of a tool_result: a string, or text, image and document blocks (and kinds the gateway does not know). */
const toolResultContentSchema = z.union([
  z.string(),
  z.array(withUnknownBlocks(toolResultKnownContentSchema, TOOL_RESULT_CONTENT_TYPES)),
]);

/** The client's answer to a tool_use block, in the next user message; `is_error` marks a failed tool. */
export const toolResultBlockSchema = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: toolResultContentSchema.optional(),
  is_error: z.boolean().nullish(),
  cache_control: cacheControlSchema,
});

const CONTENT_BLOCK_TYPES = ['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'] as const;

const knownContentBlockSchema = z.discriminatedUnion('type', [
  textBlockSchema,
  imageBlockSchema,
  documentBlockSchema,
  toolUseBlockSchema,
  toolResultBlockSchema,
  thinkingBlockSchema,
  redactedThinkingBlockSchema,
]);

/** Any block of a user or assistant message. */
export const contentBlockSchema = withUnknownBlocks(knownContentBlockSchema, CONTENT_BLOCK_TYPES);

export type TextBlockParam = z.infer<typeof textBlockSchema>;
export type ImageBlockParam = z.infer<typeof imageBlockSchema>;
export type DocumentBlockParam = z.infer<typeof documentBlockSchema>;
export type ToolUseBlockParam = z.infer<typeof toolUseBlockSchema>;
export type ToolResultBlockParam = z.infer<typeof toolResultBlockSchema>;
export type ThinkingBlockParam = z.infer<typeof thinkingBlockSchema>;
export type RedactedThinkingBlockParam = z.infer<typeof redactedThinkingBlockSchema>;
export type ContentBlockParam = z.infer<typeof contentBlockSchema>;
export type KnownContentBlock = z.infer<typeof knownContentBlockSchema>;
export type ToolResultContentBlock = Exclude<z.infer<typeof toolResultContentSchema>, string>[number];
export type KnownToolResultContentBlock = z.infer<typeof toolResultKnownContentSchema>;

const KNOWN_CONTENT_BLOCK_TYPES: ReadonlySet<string> = new Set(CONTENT_BLOCK_TYPES);
const KNOWN_TOOL_RESULT_CONTENT_TYPES: ReadonlySet<string> = new Set(TOOL_RESULT_CONTENT_TYPES);

/** Whether a parsed message block is one of the kinds the gateway knows (and so was checked as such). */
export function isKnownContentBlock(block: ContentBlockParam): block is KnownContentBlock {
  return KNOWN_CONTENT_BLOCK_TYPES.has(block.type);
}

/** Whether a parsed tool_result content block is text, an image or a document. */
export function isKnownToolResultContent(block: ToolResultContentBlock): block is KnownToolResultContentBlock {
  return KNOWN_TOOL_RESULT_CONTENT_TYPES.has(block.type);
}
