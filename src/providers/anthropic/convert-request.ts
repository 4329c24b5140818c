import { checkToolCallPairing } from '../check-tool-call-pairing.js';
import { ANTHROPIC_TOOL_NAME, ANTHROPIC_USER_ID, fitIdentifier } from '../fit-identifier.js';
import type { ChatCompletionRequest } from '../openai/openai-api.js';
import type { AttemptTarget } from '../provider-adapter.js';
import { CHAT_COMPLETION_REQUEST_FIELDS, refuseFieldsWithoutCounterpart } from '../refuse-fields-without-counterpart.js';
import { invalidValue as invalid, refuseUnknownFields, unsupportedParameter as unsupported } from '../translation-errors.js';
import { anthropicModelTraits, type AnthropicModelTraits } from './anthropic-model-traits.js';
import { convertMessagesToAnthropic, type AnthropicConversation } from './convert-messages.js';
import { convertReasoningEffort, type AnthropicThinking } from './convert-reasoning-effort.js';
import type { AnthropicBlock } from './convert-user-content.js';
import { defaultAnthropicMaxTokens } from './default-anthropic-max-tokens.js';

/**
 * An OpenAI Chat Completions request as an Anthropic Messages request body
 * (https://docs.claude.com/en/api/messages). Every request field is mapped, or refused with
 * a 400 naming it when Anthropic cannot honour the value asked for, so a client never gets
 * an answer to a different question than the one it asked (the README's table lists each).
 * Messages follow Anthropic's rules by construction (convertMessagesToAnthropic).
 *
 * Mapping choices (after envoyproxy/ai-gateway internal/translator/anthropic_helper.go):
 * - `max_tokens` is required by Anthropic; without one from the client the model's maximum
 *   output applies (defaultAnthropicMaxTokens).
 * - `reasoning_effort` becomes extended or adaptive thinking (convertReasoningEffort); the
 *   rules that come with thinking are checked here: temperature 1 or unset, top_p of at
 *   least 0.95, tool_choice "auto" or "none", no prefill, and, with a thinking budget, a tool
 *   loop continued after an assistant turn that starts with its thinking block
 *   (https://docs.claude.com/en/docs/build-with-claude/extended-thinking).
 * - `user` (or its successor `safety_identifier`) becomes `metadata.user_id`, fitted to 256
 *   characters; `service_tier` "auto" is Anthropic's "auto", "default" its "standard_only".
 * - Left out, as they change neither the answer nor its cost: `metadata` (OpenAI's tags for
 *   stored completions), `prompt_cache_key` (a routing hint for OpenAI's cache),
 *   `stream_options.include_obfuscation`, `name` on messages, `detail` on images.
 */
export function convertRequestToAnthropic(request: ChatCompletionRequest, target: AttemptTarget): Record<string, unknown> {
  refuseUnknownFields(request, CHAT_COMPLETION_REQUEST_FIELDS, 'Anthropic');
  refuseFieldsWithoutCounterpart(request, 'Anthropic');
  refuseUnsupportedParameters(request);

  const traits = anthropicModelTraits(target.model);
  const maxTokensParam = request.max_completion_tokens != null ? 'max_completion_tokens' : request.max_tokens != null ? 'max_tokens' : undefined;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? defaultAnthropicMaxTokens(target.model);
  const reasoning = convertReasoningEffort(request.reasoning_effort, target.model, traits, maxTokens, maxTokensParam);
  const conversation = convertMessagesToAnthropic(request.messages, reasoning.thinks);
  checkToolCallPairing(request.messages);
  checkConversation(conversation, target.model, traits, reasoning);
  checkSampling(request, target.model, traits, reasoning);

  const body: Record<string, unknown> = { model: target.model, max_tokens: maxTokens };
  if (conversation.system.length > 0) body.system = conversation.system;
  body.messages = conversation.messages;
  if (reasoning.thinking) body.thinking = reasoning.thinking;

  if (request.temperature != null) body.temperature = request.temperature;
  if (request.top_p != null) body.top_p = request.top_p;
  if (request.stop != null) body.stop_sequences = convertStop(request.stop);

  // `safety_identifier` is OpenAI's successor to the deprecated `user`; both identify the end user.
  const userId = request.user ?? (typeof request.safety_identifier === 'string' ? request.safety_identifier : undefined);
  if (userId) body.metadata = { user_id: fitIdentifier(userId, ANTHROPIC_USER_ID) };
  const serviceTier = convertServiceTier(request.service_tier);
  if (serviceTier) body.service_tier = serviceTier;

  const tools = convertTools(request.tools);
  if (tools) {
    body.tools = tools;
    // OpenAI accepts tool_choice without tools; Anthropic has nothing to choose from then.
    const toolChoice = convertToolChoice(request.tool_choice, request.parallel_tool_calls, reasoning.thinks);
    if (toolChoice) body.tool_choice = toolChoice;
  }

  const outputConfig: Record<string, unknown> = {};
  const format = convertResponseFormat(request.response_format);
  if (format) outputConfig.format = format;
  if (reasoning.effort) outputConfig.effort = reasoning.effort;
  if (Object.keys(outputConfig).length > 0) body.output_config = outputConfig;
  if (request.stream) body.stream = true;
  return body;
}

/** OpenAI parameters Anthropic has no counterpart for: a value other than the default is refused. */
function refuseUnsupportedParameters(request: ChatCompletionRequest): void {
  if (request.n != null && request.n > 1) throw unsupported('n', 'Anthropic models return one choice per request; n must be 1.');
  if (request.logprobs) throw unsupported('logprobs', 'logprobs is not supported by Anthropic models.');
  if (request.top_logprobs != null && request.top_logprobs > 0) throw unsupported('top_logprobs', 'top_logprobs is not supported by Anthropic models.');
  if (request.presence_penalty != null && request.presence_penalty !== 0) throw unsupported('presence_penalty', 'presence_penalty is not supported by Anthropic models.');
  if (request.frequency_penalty != null && request.frequency_penalty !== 0) throw unsupported('frequency_penalty', 'frequency_penalty is not supported by Anthropic models.');
  if (request.seed != null) throw unsupported('seed', 'seed is not supported by Anthropic models.');
}

/**
 * Rules on the conversation as a whole:
 * - at least one message ("messages: at least one message is required"), counted after text
 *   without anything visible has been left out;
 * - a final assistant message is a prefill to Anthropic, which Claude 4.6 and later refuse,
 *   and which thinking does not allow;
 * - with a thinking budget, continuing a tool loop needs the assistant turn that made the
 *   calls to start with its thinking block; OpenAI clients carry it back only as the
 *   `thinking_blocks` the gateway returned on that message.
 */
function checkConversation(conversation: AnthropicConversation, model: string, traits: AnthropicModelTraits, reasoning: AnthropicThinking): void {
  const { messages, sources } = conversation;
  if (messages.length === 0) {
    throw invalid('messages', 'Anthropic models need at least one user or assistant message with content other than whitespace.');
  }
  const last = messages.length - 1;
  if (messages[last]!.role === 'assistant') {
    const param = `messages[${sources[last]}]`;
    if (!traits.prefill) throw unsupported(param, `${model} does not continue a final assistant message (a prefill); end the conversation with a user or tool message.`);
    if (reasoning.thinks) throw unsupported(param, 'With reasoning_effort, Anthropic models do not continue a final assistant message (a prefill).');
  }
  if (reasoning.thinking?.type === 'enabled' && last > 0 && messages[last]!.content.some((block) => block.type === 'tool_result')) {
    const first = messages[last - 1]!.content[0];
    if (first?.type !== 'thinking' && first?.type !== 'redacted_thinking') {
      throw unsupported(
        'reasoning_effort',
        `With thinking on, Anthropic needs the assistant turn being continued (messages[${sources[last - 1]}]) to start with its thinking block: send back that message's thinking_blocks as the gateway returned them, or omit reasoning_effort until the tool loop ends.`,
      );
    }
  }
}

/**
 * Sampling that Anthropic refuses or cannot honour:
 * - temperature above 1 (Anthropic's range is 0..1, OpenAI's 0..2; clamping would sample
 *   differently than asked);
 * - with thinking, temperature other than 1 and top_p below 0.95 (extended thinking,
 *   "Feature compatibility");
 * - on models released after Claude Opus 4.6, temperature other than 1 and top_p below 0.99.
 */
function checkSampling(request: ChatCompletionRequest, model: string, traits: AnthropicModelTraits, reasoning: AnthropicThinking): void {
  const { temperature, top_p: topP } = request;
  if (temperature != null) {
    if (temperature > 1) throw invalid('temperature', 'Anthropic models accept a temperature between 0 and 1.');
    if (temperature !== 1 && traits.fixedSampling) throw unsupported('temperature', `${model} samples at temperature 1 only; omit temperature or set it to 1.`);
    if (temperature !== 1 && reasoning.thinks) throw unsupported('temperature', 'With reasoning_effort, Anthropic models sample at temperature 1 only; omit temperature or set it to 1.');
  }
  if (topP != null) {
    if (topP < 0.99 && traits.fixedSampling) throw unsupported('top_p', `${model} takes top_p of 0.99 or more only; omit top_p.`);
    if (topP < 0.95 && reasoning.thinks) throw unsupported('top_p', 'With reasoning_effort, Anthropic models take top_p between 0.95 and 1 only.');
  }
}

/** Anthropic refuses stop sequences that are empty or only whitespace ("each stop sequence must contain non-whitespace"). */
function convertStop(stop: string | string[]): string[] {
  const sequences = typeof stop === 'string' ? [stop] : stop;
  for (const sequence of sequences) {
    if (!/\S/.test(sequence)) throw unsupported('stop', 'Anthropic models take stop sequences that contain something other than whitespace; "\\n" and the like cannot be honoured.');
  }
  return sequences;
}

/**
 * OpenAI's service_tier (https://platform.openai.com/docs/api-reference/chat/create) onto
 * Anthropic's (https://docs.claude.com/en/api/service-tiers): "auto" means the account's
 * configured tier on both; "default" is standard capacity, Anthropic's "standard_only".
 * OpenAI's flex, scale, priority and fast have no counterpart a request can choose.
 */
function convertServiceTier(tier: unknown): string | undefined {
  if (tier == null) return undefined;
  if (tier === 'auto') return 'auto';
  if (tier === 'default') return 'standard_only';
  throw unsupported('service_tier', 'Anthropic models take service_tier "auto" or "default" only.');
}

/** https://docs.claude.com/en/docs/agents-and-tools/tool-use/implement-tool-use#specifying-client-tools */
function convertTools(tools: ChatCompletionRequest['tools']): AnthropicBlock[] | undefined {
  if (!tools || tools.length === 0) return undefined;
  return tools.map((tool, toolIndex) => {
    if (tool.type !== 'function' || !('function' in tool)) throw unsupported(`tools[${toolIndex}]`, 'Anthropic models support only tools of type "function".');
    const definition = tool.function as { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean | null };
    // Every name OpenAI's schema accepts fits Anthropic's rule; a name that did not would come
    // back rewritten in tool calls, so it is refused rather than renamed.
    if (fitIdentifier(definition.name, ANTHROPIC_TOOL_NAME) !== definition.name) {
      throw invalid(`tools[${toolIndex}].function.name`, 'Anthropic tool names are 1-64 characters of a-z, A-Z, 0-9, "_" and "-".');
    }
    // Anthropic requires an input_schema; OpenAI's omitted parameters mean "no arguments".
    const converted: AnthropicBlock = { name: definition.name, input_schema: definition.parameters ?? { type: 'object', properties: {} } };
    if (definition.description !== undefined) converted.description = definition.description;
    // Strict tool use guarantees schema-valid input, as OpenAI's strict does
    // (https://docs.claude.com/en/docs/build-with-claude/structured-outputs); a model
    // without it answers 400, which is more honest than a silently weaker guarantee.
    if (definition.strict === true) converted.strict = true;
    return converted;
  });
}

/**
 * https://docs.claude.com/en/docs/agents-and-tools/tool-use/implement-tool-use#forcing-tool-use:
 * auto -> auto, required -> any, none -> none, a named function -> tool. OpenAI's
 * parallel_tool_calls:false is Anthropic's disable_parallel_tool_use, which lives on the
 * tool_choice (so "auto" is sent when the client named none) and which "none" does not take.
 * With thinking, only "auto" and "none" are allowed (extended thinking, "Tool use").
 */
function convertToolChoice(toolChoice: ChatCompletionRequest['tool_choice'], parallelToolCalls: boolean | undefined, thinks: boolean): AnthropicBlock | undefined {
  let converted: AnthropicBlock | undefined;
  if (toolChoice === undefined) converted = undefined;
  else if (toolChoice === 'auto') converted = { type: 'auto' };
  else if (toolChoice === 'required') converted = { type: 'any' };
  else if (toolChoice === 'none') return { type: 'none' };
  else if (toolChoice.type === 'function' && 'function' in toolChoice) {
    converted = { type: 'tool', name: fitIdentifier((toolChoice.function as { name: string }).name, ANTHROPIC_TOOL_NAME) };
  } else throw unsupported('tool_choice', 'Anthropic models support tool_choice "none", "auto", "required" or a named function.');
  if (thinks && converted !== undefined && converted.type !== 'auto') {
    throw unsupported('tool_choice', 'With reasoning_effort, Anthropic models take tool_choice "auto" or "none" only; a forced tool call cannot be honoured.');
  }
  if (parallelToolCalls === false) return { ...(converted ?? { type: 'auto' }), disable_parallel_tool_use: true };
  return converted;
}

/**
 * Structured outputs (https://docs.claude.com/en/docs/build-with-claude/structured-outputs):
 * a JSON schema becomes output_config.format. Anthropic has no schema-less JSON mode, so
 * json_object is refused rather than answered with free text the client would fail to parse.
 */
function convertResponseFormat(format: ChatCompletionRequest['response_format']): AnthropicBlock | undefined {
  if (format === undefined || format.type === 'text') return undefined;
  if (format.type === 'json_object') {
    throw unsupported('response_format', 'Anthropic models have no JSON mode without a schema; use response_format {"type":"json_schema"} with a schema.');
  }
  const schema = (format.json_schema as { schema?: Record<string, unknown> }).schema;
  if (schema === undefined) throw invalid('response_format.json_schema.schema', 'Anthropic structured outputs need a schema.');
  return { type: 'json_schema', schema };
}
