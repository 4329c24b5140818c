import { z } from 'zod';
import { cacheControlSchema, contentBlockSchema, textBlockSchema } from './content-block.js';

/**
 * The body of `POST /v1/messages` as the gateway accepts it. Source of truth: the official
 * TypeScript SDK (@anthropic-ai/sdk 1.14.0, src/resources/messages/messages.ts
 * `MessageCreateParamsBase`) and https://docs.claude.com/en/api/messages.
 *
 * Known fields are checked as Anthropic checks them; a field the gateway does not know
 * passes, at the top level as inside blocks (content-block.ts says why). Anthropic judges
 * unknown fields itself when it is the target; a translator refuses each field it cannot
 * honour. Optional fields also accept null, which Anthropic treats as absent for most of them:
 * accepting a null Anthropic would refuse costs nothing (Anthropic then refuses it), refusing
 * one it accepts would break a working client.
 *
 * Rules that depend on more than the body (the thinking budget under the interleaved-thinking
 * beta, sampling parameters under API version 2026-10-21) are checked by parseMessagesRequest.
 */

/** `system` inside `messages` (SDK `SystemMessageParam`): Claude Code 2.x sends mid-conversation hints this way. */
const systemMessageSchema = z.looseObject({
  role: z.literal('system'),
  content: z.union([z.string(), z.array(textBlockSchema)]),
});

const messageContentSchema = z.union([z.string(), z.array(contentBlockSchema)]);

export const messageParamSchema = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('user'), content: messageContentSchema }),
  z.looseObject({ role: z.literal('assistant'), content: messageContentSchema }),
  systemMessageSchema,
]);

/** Anthropic's documented bound on `messages` (SDK doc of `messages`: "a limit of 100,000 messages"). */
export const MAX_MESSAGES = 100_000;

/** Tool names as Anthropic checks them (its 400 reads `tools.N.custom.name: String should match pattern ...`). */
const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,128}$/;

/**
 * A client tool: the model calls it, the client runs it (SDK `Tool`). `type` is absent,
 * "custom" or null. `input_schema` is JSON Schema whose top level must be an object.
 */
export const customToolSchema = z.looseObject({
  type: z.literal('custom').nullish(),
  name: z.string().regex(TOOL_NAME_PATTERN, `String should match pattern '${TOOL_NAME_PATTERN.source}'`),
  description: z.string().nullish(),
  input_schema: z.looseObject({
    type: z.literal('object'),
    properties: z.record(z.string(), z.unknown()).nullish(),
    required: z.array(z.string()).nullish(),
  }),
  cache_control: cacheControlSchema,
  strict: z.boolean().nullish(),
});

/**
 * A server tool Anthropic runs itself (web_search_20250305, code_execution_20250825, bash,
 * text editor, tool search...): `type` names the tool and its version. The gateway does not
 * enumerate them (Anthropic adds versions every few weeks); they pass for Anthropic targets
 * to judge, and translators refuse them, since no other provider runs Anthropic's tools.
 */
export type ServerTool = { type: string } & Record<string, unknown>;

/** Whether a parsed tool is a custom (client) tool rather than one of Anthropic's server tools. */
export function isCustomTool(tool: ToolParam): tool is CustomToolParam {
  return tool.type === undefined || tool.type === null || tool.type === 'custom';
}

const serverToolSchema: z.ZodType<ServerTool> = z.looseObject({ type: z.string().refine((type) => type !== 'custom', { abort: true }) });

/** Custom first: a tool without `type` is custom, and its issues (name, input_schema) are the ones to report. */
export const toolSchema = z.union([customToolSchema, serverToolSchema]);

const parallelToolUse = { disable_parallel_tool_use: z.boolean().nullish() };

/** https://docs.claude.com/en/docs/agents-and-tools/tool-use/implement-tool-use#forcing-tool-use */
export const toolChoiceSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), ...parallelToolUse }),
  z.looseObject({ type: z.literal('any'), ...parallelToolUse }),
  z.looseObject({ type: z.literal('tool'), name: z.string(), ...parallelToolUse }),
  z.looseObject({ type: z.literal('none') }),
]);

/** Anthropic's smallest thinking budget (https://docs.claude.com/en/docs/build-with-claude/extended-thinking). */
export const MIN_THINKING_BUDGET_TOKENS = 1024;

const thinkingDisplay = { display: z.enum(['summarized', 'omitted']).nullish() };

/**
 * SDK `ThinkingConfigParam`: manual extended thinking with a token budget, none, adaptive
 * (Claude decides how much), or thinking only between tool calls.
 */
export const thinkingConfigSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('enabled'),
    budget_tokens: z.number().int().min(MIN_THINKING_BUDGET_TOKENS),
    ...thinkingDisplay,
  }),
  z.looseObject({ type: z.literal('disabled') }),
  z.looseObject({ type: z.literal('adaptive'), ...thinkingDisplay }),
  z.looseObject({ type: z.literal('between_tools') }),
]);

/** SDK `OutputConfig`: how hard the model works, and structured output (https://docs.claude.com/en/docs/build-with-claude/structured-outputs). */
export const outputConfigSchema = z.looseObject({
  effort: z.enum(['low', 'medium', 'high', 'xhigh', 'max']).nullish(),
  format: z.looseObject({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).nullish(),
});

/** What count_tokens shares with create: the prompt and everything that shapes it. */
export const promptFields = {
  model: z.string().min(1),
  messages: z.array(messageParamSchema).min(1).max(MAX_MESSAGES),
  system: z.union([z.string(), z.array(textBlockSchema)]).nullish(),
  tools: z.array(toolSchema).nullish(),
  tool_choice: toolChoiceSchema.nullish(),
  thinking: thinkingConfigSchema.nullish(),
  output_config: outputConfigSchema.nullish(),
  cache_control: cacheControlSchema,
  speed: z.enum(['standard', 'fast']).nullish(),
};

export const messagesRequestSchema = z.looseObject({
  ...promptFields,
  /**
   * Required. 0 is allowed: it fills the prompt cache without generating (SDK doc of
   * `max_tokens`, "pre-warming the cache").
   */
  max_tokens: z.number().int().min(0),
  stop_sequences: z.array(z.string()).nullish(),
  stream: z.boolean().nullish(),
  /** 0 to 1 on Anthropic (OpenAI's range is 0 to 2). Removed in API version 2026-10-21. */
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).nullish(),
  service_tier: z.enum(['auto', 'standard_only']).nullish(),
  inference_geo: z.string().nullish(),
});

export type MessagesRequest = z.infer<typeof messagesRequestSchema>;
export type MessageParam = z.infer<typeof messageParamSchema>;
export type ToolParam = z.infer<typeof toolSchema>;
export type CustomToolParam = z.infer<typeof customToolSchema>;
export type ToolChoiceParam = z.infer<typeof toolChoiceSchema>;
export type ThinkingConfigParam = z.infer<typeof thinkingConfigSchema>;
