import { createHash } from 'node:crypto';
import { isCustomTool, type MessagesRequest, type ToolChoiceParam, type ToolParam } from '../../api/anthropic-messages/messages-request.js';
import type { ChatCompletionRequest } from './openai-api.js';
import { convertAnthropicMessages } from './convert-anthropic-messages.js';
import type { OpenAIChatTarget } from './openai-chat-target.js';
import { refuseUnhandledFields, untranslatable } from './refuse-untranslatable.js';

/**
 * Top-level fields the converter handles. Some are dropped on purpose, because they change
 * nothing the model is asked, only how Anthropic serves it:
 * - cache_control (prompt-cache breakpoints; OpenAI caches prompts by itself),
 * - service_tier ("auto" / "standard_only" capacity) and speed ("fast" mode),
 * - context_management (Anthropic trimming old tool results and thinking to save context;
 *   without it the model sees the whole conversation the client sent),
 * - diagnostics (asks Anthropic to explain cache misses in its response).
 * inference_geo is handled to be refused: it is a data-residency requirement the gateway
 * cannot promise for another provider. Any other field is refused by name.
 */
const HANDLED_FIELDS: ReadonlySet<string> = new Set([
  'model',
  'max_tokens',
  'messages',
  'system',
  'stop_sequences',
  'stream',
  'temperature',
  'top_p',
  'top_k',
  'tools',
  'tool_choice',
  'metadata',
  'thinking',
  'output_config',
  'cache_control',
  'service_tier',
  'speed',
  'context_management',
  'diagnostics',
  'inference_geo',
]);

const TOOL_FIELDS: ReadonlySet<string> = new Set(['type', 'name', 'description', 'input_schema', 'cache_control', 'strict', 'eager_input_streaming', 'defer_loading', 'allowed_callers']);
const TOOL_CHOICE_FIELDS: ReadonlySet<string> = new Set(['type', 'name', 'disable_parallel_tool_use']);
const THINKING_FIELDS: ReadonlySet<string> = new Set(['type', 'budget_tokens', 'display']);
const OUTPUT_CONFIG_FIELDS: ReadonlySet<string> = new Set(['effort', 'format']);
const METADATA_FIELDS: ReadonlySet<string> = new Set(['user_id']);

/** OpenAI's bound on `stop` (openai-openapi `CreateChatCompletionRequest.stop`: "Up to 4 sequences"). */
const MAX_STOP_SEQUENCES = 4;

/** OpenAI's rule for function names (https://platform.openai.com/docs/api-reference/chat/create#chat-create-tools); Anthropic allows 128 characters. */
const OPENAI_FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** OpenAI refuses a `user` longer than 64 characters; Claude Code's user_id is about 150. */
const MAX_OPENAI_USER_LENGTH = 64;

/**
 * An Anthropic Messages request as an OpenAI Chat Completions request, for OpenAI-compatible
 * targets (and, through convertRequestToGemini, for Gemini). Pure: what the target accepts
 * comes in `target`. Whatever cannot be honoured is a GatewayError 400 naming the Anthropic
 * field (untranslatable), never a silent drop, except the serving hints listed at
 * HANDLED_FIELDS. The model is passed as the client named it; the adapter sets the
 * provider's.
 *
 * Mapping (Anthropic: https://docs.claude.com/en/api/messages; OpenAI:
 * https://platform.openai.com/docs/api-reference/chat/create):
 * - system, messages: convertAnthropicMessages.
 * - max_tokens: `target.maxTokensField`. 0 (Anthropic's cache pre-warming) has no
 *   counterpart (OpenAI's minimum is 1) and is refused.
 * - stop_sequences: stop, at most 4, more refused.
 * - temperature, top_p: unchanged (Anthropic's 0..1 lies inside OpenAI's 0..2 and means the
 *   same; no rescaling, as other gateways do). top_k: sent only to targets that take it.
 * - metadata.user_id: user, or its SHA-256 in hex (64 characters) when longer than OpenAI
 *   allows: still one stable id per end user, which is what both fields are for.
 * - tools: custom tools become functions (input_schema as parameters, strict kept); server
 *   tools are refused. tool_choice: auto -> "auto", any -> "required", tool -> the named
 *   function, none -> "none"; disable_parallel_tool_use -> parallel_tool_calls false. Without
 *   tools both are left out, as OpenAI refuses tool_choice without tools.
 * - thinking and output_config.effort: reasoning_effort (reasoningEffort).
 * - output_config.format (json_schema): response_format json_schema, strict, as Anthropic's
 *   structured outputs guarantee the schema.
 * - stream: stream with stream_options.include_usage, since the gateway meters every stream
 *   and the Anthropic writer reports usage in message_delta.
 */
export function convertMessagesToChat(request: MessagesRequest, target: OpenAIChatTarget): ChatCompletionRequest {
  refuseUnhandledFields(request, HANDLED_FIELDS, '');
  if (request.inference_geo != null) {
    throw untranslatable('inference_geo', 'The gateway cannot promise where an OpenAI-compatible provider runs the model.');
  }
  const body: ChatCompletionRequest = { model: request.model, messages: convertAnthropicMessages(request, target) };

  if (request.max_tokens < 1) {
    throw untranslatable('max_tokens', 'max_tokens 0 (cache pre-warming) has no equivalent on OpenAI-compatible models, which need at least 1.');
  }
  body[target.maxTokensField] = request.max_tokens;

  const stop = request.stop_sequences;
  if (stop != null && stop.length > 0) {
    if (stop.length > MAX_STOP_SEQUENCES) {
      throw untranslatable('stop_sequences', `OpenAI-compatible models take at most ${MAX_STOP_SEQUENCES} stop sequences; ${stop.length} were given.`);
    }
    body.stop = stop;
  }
  if (request.temperature != null) body.temperature = request.temperature;
  if (request.top_p != null) body.top_p = request.top_p;
  if (request.top_k != null) {
    if (!target.topK) throw untranslatable('top_k', 'This model does not take top_k; use temperature or top_p.');
    body.top_k = request.top_k;
  }

  if (request.metadata != null) {
    refuseUnhandledFields(request.metadata, METADATA_FIELDS, 'metadata');
    const userId = request.metadata.user_id;
    if (userId) body.user = userId.length <= MAX_OPENAI_USER_LENGTH ? userId : createHash('sha256').update(userId).digest('hex');
  }

  const tools = request.tools ?? [];
  if (tools.length > 0) {
    body.tools = tools.map((tool, index) => convertTool(tool, `tools.${index}`));
    if (request.tool_choice != null) Object.assign(body, convertToolChoice(request.tool_choice));
  }

  const reasoningEffort = convertReasoning(request, target);
  if (reasoningEffort) body.reasoning_effort = reasoningEffort;
  const format = request.output_config?.format;
  if (format != null) body.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema, strict: true } };

  if (request.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return body;
}

type FunctionTool = NonNullable<ChatCompletionRequest['tools']>[number];

/**
 * A custom tool as a function. Dropped: cache_control, and eager_input_streaming (how
 * Anthropic streams the tool's input). Refused: server tools (Anthropic runs them),
 * defer_loading (needs Anthropic's tool search), allowed_callers other than direct calls
 * (Anthropic's code execution), and names OpenAI refuses.
 */
function convertTool(tool: ToolParam, path: string): FunctionTool {
  if (!isCustomTool(tool)) {
    throw untranslatable(`${path}.type`, `"${tool.type}" is a tool Anthropic runs on its servers; an OpenAI-compatible model cannot run it.`);
  }
  refuseUnhandledFields(tool, TOOL_FIELDS, path);
  if (tool.defer_loading === true) throw untranslatable(`${path}.defer_loading`, 'Deferred tool loading needs Anthropic’s tool search.');
  const callers = tool.allowed_callers;
  if (callers != null && !(Array.isArray(callers) && callers.length === 1 && callers[0] === 'direct')) {
    throw untranslatable(`${path}.allowed_callers`, 'Only direct calls by the model exist outside Anthropic’s code execution.');
  }
  if (!OPENAI_FUNCTION_NAME.test(tool.name)) {
    throw untranslatable(`${path}.name`, `OpenAI-compatible models take tool names of 1 to 64 characters of a-z, A-Z, 0-9, "_" and "-"; "${tool.name}" has ${tool.name.length}.`);
  }
  const definition: { name: string; description?: string; parameters: Record<string, unknown>; strict?: boolean } = { name: tool.name, parameters: tool.input_schema };
  if (tool.description != null) definition.description = tool.description;
  if (tool.strict != null) definition.strict = tool.strict;
  return { type: 'function', function: definition };
}

function convertToolChoice(choice: ToolChoiceParam): Pick<ChatCompletionRequest, 'tool_choice' | 'parallel_tool_calls'> {
  refuseUnhandledFields(choice, TOOL_CHOICE_FIELDS, 'tool_choice');
  const parallel = 'disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {};
  switch (choice.type) {
    case 'auto':
      return { tool_choice: 'auto', ...parallel };
    case 'any':
      return { tool_choice: 'required', ...parallel };
    case 'tool':
      return { tool_choice: { type: 'function', function: { name: choice.name } }, ...parallel };
    case 'none':
      return { tool_choice: 'none' };
    default: {
      const unhandled: never = choice;
      return unhandled;
    }
  }
}

type ReasoningEffort = NonNullable<ChatCompletionRequest['reasoning_effort']>;

/**
 * How hard the model should think, as OpenAI's reasoning_effort:
 * - output_config.effort, when given, names the level: low, medium, high and xhigh as is,
 *   max as xhigh (OpenAI's highest).
 * - otherwise thinking `enabled` maps its budget_tokens: under 4,096 low, under 16,384
 *   medium, else high. The bounds sit between the budgets the gateway sends the other way
 *   (1,024 / 8,192 / 24,576 for low / medium / high), so a level survives a round trip, and
 *   they put Claude Code's "think" (4,000), "think hard" (10,000) and "ultrathink" (31,999)
 *   at low, medium and high.
 * - adaptive, between_tools, disabled and no thinking: nothing; the model's own default
 *   applies (a Chat Completions model returns no reasoning text either way).
 * A target that takes no reasoning_effort refuses the field that asked for one.
 */
function convertReasoning(request: MessagesRequest, target: OpenAIChatTarget): ReasoningEffort | undefined {
  const thinking = request.thinking;
  if (thinking != null) refuseUnhandledFields(thinking, THINKING_FIELDS, 'thinking');
  if (request.output_config != null) refuseUnhandledFields(request.output_config, OUTPUT_CONFIG_FIELDS, 'output_config');
  const effort = request.output_config?.effort;
  if (effort != null) {
    if (!target.reasoningEffort) throw untranslatable('output_config.effort', 'This model takes no reasoning effort.');
    return effort === 'max' ? 'xhigh' : effort;
  }
  if (thinking?.type !== 'enabled') return undefined;
  if (!target.reasoningEffort) throw untranslatable('thinking', 'This model cannot be asked to think; leave thinking out or disable it.');
  if (thinking.budget_tokens < 4096) return 'low';
  if (thinking.budget_tokens < 16384) return 'medium';
  return 'high';
}
