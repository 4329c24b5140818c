import { GatewayError } from '../../errors.js';
import type { ChatCompletionRequest, ChatMessage } from '../openai/openai-api.js';
import type { AttemptTarget } from '../provider-adapter.js';
import { defaultAnthropicMaxTokens } from './default-anthropic-max-tokens.js';

type AnthropicBlock = Record<string, unknown>;
interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}

/**
 * An OpenAI Chat Completions request as an Anthropic Messages request body
 * (https://docs.claude.com/en/api/messages). What Anthropic cannot honour is refused with a
 * 400 naming the parameter rather than dropped, so a client never gets an answer to a
 * different question than the one it asked.
 *
 * Mapping choices (after envoyproxy/ai-gateway internal/translator/anthropic_helper.go):
 * - system and developer messages, wherever they stand, become top-level `system` text
 *   blocks: Anthropic has no system role inside `messages`.
 * - tool messages become `tool_result` blocks in a user message; consecutive same-role
 *   messages are merged, so the results of parallel calls share one user message, as
 *   Anthropic requires (https://docs.claude.com/en/docs/agents-and-tools/tool-use/implement-tool-use#handling-results-from-client-tools:
 *   all results in one message, tool_result blocks before any text).
 * - empty text is left out: Anthropic answers 400 to an empty text block.
 * - `max_tokens` is required by Anthropic; without one from the client the model's
 *   maximum output applies (defaultAnthropicMaxTokens).
 *
 * Dropped without effect on the answer, or with no Anthropic counterpart that matters:
 * `stream_options` (usage always arrives in Anthropic streams; the stream translator decides
 * whether the client sees it), `store`, `metadata` (OpenAI's stored-completion tags, not
 * Anthropic's metadata), `service_tier` (OpenAI's tiers do not map onto Anthropic's),
 * `verbosity`, `prompt_cache_key`, `reasoning_effort` (Anthropic's thinking takes a token
 * budget that depends on the model and constrains temperature and max_tokens; the model's
 * default applies), `parallel_tool_calls: true` (the default), `web_search_options`, `name`
 * on messages, `detail` on images, and any field OpenAI adds later.
 */
export function convertRequestToAnthropic(request: ChatCompletionRequest, target: AttemptTarget): Record<string, unknown> {
  refuseUnsupportedParameters(request);
  const { messages, system } = convertMessages(request.messages);
  const body: Record<string, unknown> = {
    model: target.model,
    max_tokens: request.max_completion_tokens ?? request.max_tokens ?? defaultAnthropicMaxTokens(target.model),
  };
  if (system.length > 0) body.system = system;
  body.messages = messages;

  if (request.temperature != null) {
    // Anthropic's range is 0..1 (OpenAI's 0..2). Clamping would quietly answer with a
    // different sampling than asked, so a value Anthropic cannot take is refused.
    if (request.temperature > 1) throw invalid('temperature', 'Anthropic models accept a temperature between 0 and 1.');
    body.temperature = request.temperature;
  }
  if (request.top_p != null) body.top_p = request.top_p;
  if (request.stop != null) body.stop_sequences = typeof request.stop === 'string' ? [request.stop] : request.stop;

  // `safety_identifier` is OpenAI's successor to the deprecated `user`; both identify the end user.
  const userId = request.user ?? (typeof request.safety_identifier === 'string' ? request.safety_identifier : undefined);
  if (userId) body.metadata = { user_id: userId };

  const tools = convertTools(request.tools);
  if (tools) {
    body.tools = tools;
    // OpenAI accepts tool_choice without tools; Anthropic has nothing to choose from then.
    const toolChoice = convertToolChoice(request.tool_choice, request.parallel_tool_calls);
    if (toolChoice) body.tool_choice = toolChoice;
  }

  const outputFormat = convertResponseFormat(request.response_format);
  if (outputFormat) body.output_config = { format: outputFormat };
  if (request.stream) body.stream = true;
  return body;
}

/** OpenAI parameters with no Anthropic equivalent: a non-default value is refused. */
function refuseUnsupportedParameters(request: ChatCompletionRequest): void {
  if (request.n != null && request.n > 1) throw unsupported('n', 'Anthropic models return one choice per request; n must be 1.');
  if (request.logprobs) throw unsupported('logprobs', 'logprobs is not supported by Anthropic models.');
  if (request.top_logprobs != null && request.top_logprobs > 0) throw unsupported('top_logprobs', 'top_logprobs is not supported by Anthropic models.');
  if (request.logit_bias != null && Object.keys(request.logit_bias).length > 0) throw unsupported('logit_bias', 'logit_bias is not supported by Anthropic models.');
  if (request.presence_penalty != null && request.presence_penalty !== 0) throw unsupported('presence_penalty', 'presence_penalty is not supported by Anthropic models.');
  if (request.frequency_penalty != null && request.frequency_penalty !== 0) throw unsupported('frequency_penalty', 'frequency_penalty is not supported by Anthropic models.');
  if (request.seed != null) throw unsupported('seed', 'seed is not supported by Anthropic models.');
  if (request.audio != null) throw unsupported('audio', 'audio output is not supported by Anthropic models.');
  const modalities = request.modalities;
  if (Array.isArray(modalities) && modalities.some((modality) => modality !== 'text')) throw unsupported('modalities', 'Anthropic models produce text only.');
  if (request.prediction != null) throw unsupported('prediction', 'prediction is not supported by Anthropic models.');
  // The deprecated function-calling fields would otherwise be dropped, leaving the model without its functions.
  if (request.functions != null) throw unsupported('functions', 'The deprecated "functions" parameter is not supported for Anthropic models; use "tools".');
  if (request.function_call != null) throw unsupported('function_call', 'The deprecated "function_call" parameter is not supported for Anthropic models; use "tool_choice".');
}

function convertMessages(openAIMessages: ChatMessage[]): { messages: AnthropicMessage[]; system: AnthropicBlock[] } {
  const messages: AnthropicMessage[] = [];
  const system: AnthropicBlock[] = [];

  const append = (role: AnthropicMessage['role'], blocks: AnthropicBlock[]): void => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (!last || last.role !== role) {
      messages.push({ role, content: [...blocks] });
      return;
    }
    for (const block of blocks) {
      if (block.type === 'tool_result') {
        // Tool results must lead their user message, even when the client wrote text first.
        const firstOther = last.content.findIndex((existing) => existing.type !== 'tool_result');
        if (firstOther === -1) last.content.push(block);
        else last.content.splice(firstOther, 0, block);
      } else {
        last.content.push(block);
      }
    }
  };

  openAIMessages.forEach((message, messageIndex) => {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...textBlocks(message.content));
        return;
      case 'user':
        append('user', userBlocks(message.content, messageIndex));
        return;
      case 'assistant': {
        const blocks = textBlocks(message.content ?? null);
        (message.tool_calls ?? []).forEach((toolCall, callIndex) => {
          const input = parseArguments(toolCall.function.arguments, `messages[${messageIndex}].tool_calls[${callIndex}].function.arguments`);
          blocks.push({ type: 'tool_use', id: toolCall.id, name: toolCall.function.name, input });
        });
        append('assistant', blocks);
        return;
      }
      case 'tool':
        append('user', [{ type: 'tool_result', tool_use_id: message.tool_call_id, content: toolResultContent(message.content) }]);
        return;
      case 'function':
        throw unsupported(`messages[${messageIndex}].role`, 'The deprecated "function" role is not supported for Anthropic models; use tool calls and "tool" messages.');
      default: {
        const unhandled: never = message;
        throw unsupported(`messages[${messageIndex}].role`, `Unsupported message ${JSON.stringify(unhandled).slice(0, 100)}.`);
      }
    }
  });
  return { messages, system };
}

type TextContent = string | null | ReadonlyArray<{ type: string; text?: string; refusal?: string }>;

/** Text as text blocks, one per OpenAI part; an assistant's refusal part is text the model wrote. */
function textBlocks(content: TextContent): AnthropicBlock[] {
  if (content === null) return [];
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  const blocks: AnthropicBlock[] = [];
  for (const part of content) {
    const text = part.type === 'refusal' ? part.refusal : part.text;
    if (text) blocks.push({ type: 'text', text });
  }
  return blocks;
}

/** tool_result content is a string or content blocks (https://docs.claude.com/en/api/messages#tool-result). */
function toolResultContent(content: string | ReadonlyArray<{ text: string }>): string | AnthropicBlock[] {
  if (typeof content === 'string') return content;
  return content.filter((part) => part.text).map((part) => ({ type: 'text', text: part.text }));
}

/** Anthropic takes tool input as a JSON object, not a string. */
function parseArguments(text: string, param: string): Record<string, unknown> {
  // An empty string is how some clients write a call without arguments.
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(param, 'Tool call arguments must be a JSON object; Anthropic takes them parsed.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(param, 'Tool call arguments must be a JSON object; Anthropic takes them parsed.');
  return value as Record<string, unknown>;
}

type UserContent = Extract<ChatMessage, { role: 'user' }>['content'];

function userBlocks(content: UserContent, messageIndex: number): AnthropicBlock[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  const blocks: AnthropicBlock[] = [];
  content.forEach((part, partIndex) => {
    const param = `messages[${messageIndex}].content[${partIndex}]`;
    switch (part.type) {
      case 'text':
        if (part.text) blocks.push({ type: 'text', text: part.text });
        return;
      case 'image_url':
        blocks.push(imageBlock(part.image_url.url, param));
        return;
      case 'input_audio':
        throw unsupported(param, 'Audio input is not supported by Anthropic models.');
      case 'file': {
        const fileData = part.file.file_data;
        if (typeof fileData !== 'string') throw unsupported(param, 'Anthropic models take files inline only (file_data as a PDF data URL); OpenAI file ids mean nothing to them.');
        const data = parseDataUrl(fileData);
        if (data?.mediaType !== 'application/pdf') throw unsupported(param, 'Anthropic models take PDF files only, as a base64 data URL ("data:application/pdf;base64,...").');
        blocks.push(documentBlock(data.data));
        return;
      }
      default: {
        const unhandled: never = part;
        throw unsupported(param, `Unsupported content part ${JSON.stringify(unhandled).slice(0, 100)}.`);
      }
    }
  });
  return blocks;
}

/** The image types Anthropic accepts (https://docs.claude.com/en/docs/build-with-claude/vision). */
const IMAGE_MEDIA_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/**
 * An OpenAI image part as an Anthropic block: a base64 data URL inline, an http(s) URL by
 * reference (Anthropic fetches it). OpenAI clients also send PDFs as image data URLs, which
 * become a document block (https://docs.claude.com/en/docs/build-with-claude/pdf-support).
 */
function imageBlock(url: string, param: string): AnthropicBlock {
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  const data = parseDataUrl(url);
  if (data && IMAGE_MEDIA_TYPES.has(data.mediaType)) return { type: 'image', source: { type: 'base64', media_type: data.mediaType, data: data.data } };
  if (data?.mediaType === 'application/pdf') return documentBlock(data.data);
  throw unsupported(
    param,
    'Anthropic models take images as an http(s) URL or a base64 data URL of type image/jpeg, image/png, image/gif or image/webp (or application/pdf).',
  );
}

function documentBlock(data: string): AnthropicBlock {
  return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data } };
}

const DATA_URL = /^data:([^;,]+)(?:;[^;,]*)*;base64,(.*)$/s;

function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = DATA_URL.exec(url);
  if (!match?.[1] || match[2] === undefined) return undefined;
  return { mediaType: match[1].toLowerCase(), data: match[2] };
}

/** https://docs.claude.com/en/docs/agents-and-tools/tool-use/implement-tool-use#specifying-client-tools */
function convertTools(tools: ChatCompletionRequest['tools']): AnthropicBlock[] | undefined {
  if (!tools || tools.length === 0) return undefined;
  return tools.map((tool, toolIndex) => {
    if (tool.type !== 'function' || !('function' in tool)) throw unsupported(`tools[${toolIndex}]`, 'Anthropic models support only tools of type "function".');
    const definition = tool.function as { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean | null };
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
 */
function convertToolChoice(toolChoice: ChatCompletionRequest['tool_choice'], parallelToolCalls: boolean | undefined): AnthropicBlock | undefined {
  let converted: AnthropicBlock | undefined;
  if (toolChoice === undefined) converted = undefined;
  else if (toolChoice === 'auto') converted = { type: 'auto' };
  else if (toolChoice === 'required') converted = { type: 'any' };
  else if (toolChoice === 'none') return { type: 'none' };
  else if (toolChoice.type === 'function' && 'function' in toolChoice) converted = { type: 'tool', name: (toolChoice.function as { name: string }).name };
  else throw unsupported('tool_choice', 'Anthropic models support tool_choice "none", "auto", "required" or a named function.');
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

/** A parameter Anthropic has no equivalent for. */
function unsupported(param: string, message: string): GatewayError {
  return new GatewayError({ status: 400, code: 'unsupported_parameter', message, param, type: 'invalid_request_error' });
}

/** A value the gateway cannot translate for Anthropic. */
function invalid(param: string, message: string): GatewayError {
  return new GatewayError({ status: 400, code: 'invalid_value', message, param, type: 'invalid_request_error' });
}
