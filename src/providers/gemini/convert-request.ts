import { checkToolCallPairing } from '../check-tool-call-pairing.js';
import { findJsonNestingExcess } from '../../json/find-json-nesting-excess.js';
import { refuseDeepJson } from '../../json/refuse-deep-json.js';
import type { ChatCompletionRequest, ChatMessage } from '../openai/openai-api.js';
import type { AttemptTarget } from '../provider-adapter.js';
import { CHAT_COMPLETION_REQUEST_FIELDS, refuseFieldsWithoutCounterpart } from '../refuse-fields-without-counterpart.js';
import { invalidValue as invalid, refuseUnknownFields, unsupportedParameter as unsupported } from '../translation-errors.js';
import { convertReasoningEffort } from './convert-reasoning-effort.js';
import { toGeminiFunctionName } from './gemini-function-name.js';

/**
 * The documented placeholder for a functionCall part whose thought signature the gateway
 * cannot know. Gemini 3 attaches an opaque `thoughtSignature` to the function calls it makes
 * and answers 400 ("missing a thought_signature") when history replays a call without one;
 * OpenAI clients have no field to carry it back, so every functionCall the gateway replays
 * carries this value, which tells Gemini to skip the check
 * (https://ai.google.dev/gemini-api/docs/thought-signatures, "FAQs"; older models ignore it).
 */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

type GeminiPart = Record<string, unknown>;
interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

/**
 * An OpenAI Chat Completions request as a Gemini `GenerateContentRequest` body
 * (https://ai.google.dev/api/generate-content#request-body). The model is not part of the
 * body: it goes in the path. Every request field is mapped, or refused with a 400 naming it
 * when Gemini cannot honour the value asked for, so a client never gets an answer to a
 * different question (the README's table lists each).
 *
 * Gemini's rules on contents hold by construction (convertMessages lists them). Mapping choices:
 * - tool call ids are not sent: recorded Gemini traffic carries none, and the gateway's
 *   synthesized ids mean nothing to Gemini; it pairs calls and responses by order and name.
 * - tool parameters go in `parametersJsonSchema`, not `parameters`: OpenAI tools carry JSON
 *   Schema (often with `additionalProperties`, which the OpenAPI-subset `parameters` field
 *   rejects), and `parametersJsonSchema` takes JSON Schema as is
 *   (https://ai.google.dev/api/caching#FunctionDeclaration).
 * - function names are fitted to Gemini's rule, reversibly for declared ones (toGeminiFunctionName).
 * - `reasoning_effort` becomes `thinkingConfig` (convertReasoningEffort).
 * - Left out, as they change neither the answer nor its cost: `user` and `safety_identifier`
 *   (Gemini has no end-user id), `metadata`, `prompt_cache_key`, `service_tier` "auto" or
 *   "default" (Gemini's standard tier), `stream_options.include_obfuscation`.
 */
export function convertRequestToGemini(request: ChatCompletionRequest, target: Pick<AttemptTarget, 'model'>): Record<string, unknown> {
  refuseUnknownFields(request, CHAT_COMPLETION_REQUEST_FIELDS, 'Gemini');
  refuseFieldsWithoutCounterpart(request, 'Gemini');
  const serviceTier = (request as Record<string, unknown>).service_tier;
  if (serviceTier != null && serviceTier !== 'auto' && serviceTier !== 'default') throw unsupported('service_tier', 'Gemini models take service_tier "auto" or "default" only.');

  const body: Record<string, unknown> = {};
  const { contents, systemParts } = convertMessages(request.messages);
  checkToolCallPairing(request.messages);
  body.contents = contents;
  if (systemParts.length > 0) body.systemInstruction = { parts: systemParts };

  const tools = convertTools(request);
  if (tools) {
    body.tools = tools;
    // Gemini refuses a functionCallingConfig without function declarations, while OpenAI
    // accepts tool_choice without tools; with no tools there is nothing to choose from.
    const toolConfig = convertToolChoice(request.tool_choice);
    if (toolConfig) body.toolConfig = toolConfig;
    if (request.parallel_tool_calls === false) {
      // Gemini has no switch for parallel function calls: it may always answer with several
      // (https://ai.google.dev/gemini-api/docs/function-calling#parallel_function_calling).
      // Without tools the setting has no effect, so it is refused only alongside tools.
      throw unsupported('parallel_tool_calls', 'Gemini cannot be limited to one tool call per turn; omit parallel_tool_calls or set it to true.');
    }
  }

  const generationConfig = convertGenerationConfig(request);
  const thinkingConfig = convertReasoningEffort(request.reasoning_effort, target.model);
  if (thinkingConfig) generationConfig.thinkingConfig = thinkingConfig;
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  return body;
}

/**
 * OpenAI messages as Gemini `contents` and `systemInstruction`
 * (https://ai.google.dev/api/generate-content#request-body). Gemini's rules, each met here:
 * 1. Roles are "user" and "model" only: system and developer messages, wherever they stand,
 *    become `systemInstruction` parts; assistant becomes "model"; tool results are "user"
 *    contents of functionResponse parts.
 * 2. No content has empty `parts`, and no text part is empty (Gemini answers 400 to both):
 *    empty text is left out, and a message left with nothing is dropped.
 * 3. Turns alternate: consecutive contents of one role are merged.
 * 4. A function response names its function and answers a call of the model turn just
 *    before it, one response per call ("the number of function response parts is equal to
 *    the number of function call parts"): OpenAI's tool message carries only the call id,
 *    so the name is looked up among that turn's calls; checkToolCallPairing refuses
 *    histories where a call goes unanswered.
 * 5. Function names follow Gemini's rule (toGeminiFunctionName), the same in calls,
 *    responses and declarations.
 * 6. "A function call turn comes immediately after a user turn or after a function response
 *    turn": a model turn that calls functions cannot open the conversation (refused, as
 *    there is no user turn to put before it without inventing one).
 * 7. There is at least one content ("contents is not specified").
 * 8. Every replayed functionCall carries a thought signature (SKIP_THOUGHT_SIGNATURE).
 */
function convertMessages(messages: readonly ChatMessage[]): { contents: GeminiContent[]; systemParts: GeminiPart[] } {
  const contents: GeminiContent[] = [];
  const systemParts: GeminiPart[] = [];
  const toolNames = new Map<string, string>();

  const append = (role: GeminiContent['role'], parts: GeminiPart[]): void => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  messages.forEach((message, messageIndex) => {
    switch (message.role) {
      case 'system':
      case 'developer':
        systemParts.push(...textParts(message.content));
        return;
      case 'user':
        append('user', userParts(message.content, messageIndex));
        return;
      case 'assistant': {
        const parts = textParts(message.content ?? null);
        (message.tool_calls ?? []).forEach((toolCall, callIndex) => {
          const name = toGeminiFunctionName(toolCall.function.name);
          toolNames.set(toolCall.id, name);
          const args = parseArguments(toolCall.function.arguments, `messages[${messageIndex}].tool_calls[${callIndex}].function.arguments`);
          parts.push({ functionCall: { name, args }, thoughtSignature: SKIP_THOUGHT_SIGNATURE });
        });
        if (parts.some((part) => part.functionCall) && contents.length === 0) {
          throw invalid(`messages[${messageIndex}]`, 'Gemini needs a user message before the first assistant message that calls tools.');
        }
        append('model', parts);
        return;
      }
      case 'tool': {
        // checkToolCallPairing has made sure the call precedes its result.
        const name = toolNames.get(message.tool_call_id) ?? toGeminiFunctionName(message.tool_call_id);
        append('user', [{ functionResponse: { name, response: { result: toolResult(joinText(message.content)) } } }]);
        return;
      }
      case 'function':
        throw unsupported(`messages[${messageIndex}].role`, 'The deprecated "function" role is not supported for Gemini; use tool calls and "tool" messages.');
      default: {
        const unhandled: never = message;
        throw unsupported(`messages[${messageIndex}].role`, `Unsupported message ${JSON.stringify(unhandled).slice(0, 100)}.`);
      }
    }
  });
  if (contents.length === 0) throw invalid('messages', 'Gemini models need at least one user or assistant message with content.');
  return { contents, systemParts };
}

type TextContent = string | null | ReadonlyArray<{ type: string; text?: string; refusal?: string }>;

/**
 * Text as parts, one per OpenAI text part. Empty strings are left out: Gemini answers 400
 * to a part with empty text.
 */
function textParts(content: TextContent): GeminiPart[] {
  if (content === null) return [];
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  const parts: GeminiPart[] = [];
  for (const part of content) {
    const text = part.type === 'refusal' ? part.refusal : part.text;
    if (text) parts.push({ text });
  }
  return parts;
}

function joinText(content: string | ReadonlyArray<{ text: string }>): string {
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}

/**
 * A tool's output as the `result` of functionResponse.response, which must be a JSON object
 * whose keys the caller chooses (https://ai.google.dev/api/caching#FunctionResponse): an
 * output that is a JSON object is passed parsed, so the model reads structure rather than an
 * escaped string; anything else (plain text, an array, a number) is passed as text.
 */
function toolResult(text: string): unknown {
  // Nested too deep to serialise safely once parsed: the model reads it as text.
  if (findJsonNestingExcess(text) !== -1) return { content: text };
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch {
    // Not JSON: plain text.
  }
  return { content: text };
}

function parseArguments(text: string, param: string): Record<string, unknown> {
  // An empty string is how some clients write a call without arguments.
  if (text.trim() === '') return {};
  // Parsed, the arguments become part of the provider body, which JSON.stringify walks recursively.
  refuseDeepJson(text, param);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(param, 'Tool call arguments must be a JSON object; Gemini takes them parsed.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(param, 'Tool call arguments must be a JSON object; Gemini takes them parsed.');
  return value as Record<string, unknown>;
}

type UserContent = Extract<ChatMessage, { role: 'user' }>['content'];

function userParts(content: UserContent, messageIndex: number): GeminiPart[] {
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  const parts: GeminiPart[] = [];
  content.forEach((part, partIndex) => {
    const param = `messages[${messageIndex}].content[${partIndex}]`;
    switch (part.type) {
      case 'text':
        if (part.text) parts.push({ text: part.text });
        return;
      case 'image_url':
        parts.push(imagePart(part.image_url.url, `${param}.image_url.url`));
        return;
      case 'input_audio':
        // OpenAI names the format ("wav", "mp3"); Gemini wants a MIME type (https://ai.google.dev/gemini-api/docs/audio#supported-formats).
        parts.push({ inlineData: { mimeType: `audio/${part.input_audio.format}`, data: part.input_audio.data } });
        return;
      case 'file': {
        const fileData = part.file.file_data;
        if (typeof fileData !== 'string') throw unsupported(`${param}.file`, 'Gemini takes files inline only (file_data as a data URL); OpenAI file ids mean nothing to it.');
        parts.push(inlineDataPart(fileData, `${param}.file.file_data`));
        return;
      }
      default: {
        const unhandled: never = part;
        throw unsupported(param, `Unsupported content part ${JSON.stringify(unhandled).slice(0, 100)}.`);
      }
    }
  });
  return parts;
}

/** A data URL goes inline; an http(s) URL goes by reference (https://ai.google.dev/gemini-api/docs/file-input-methods). */
function imagePart(url: string, param: string): GeminiPart {
  if (url.startsWith('data:')) return inlineDataPart(url, param);
  if (/^https?:\/\//i.test(url)) return { fileData: { mimeType: guessImageMimeType(url), fileUri: url } };
  throw invalid(param, 'An image URL must be an http(s) URL or a base64 data URL.');
}

const DATA_URL = /^data:([^;,]+)(?:;[^;,]*)*;base64,(.*)$/s;

function inlineDataPart(url: string, param: string): GeminiPart {
  const match = DATA_URL.exec(url);
  if (!match) throw invalid(param, 'Expected a base64 data URL ("data:<media type>;base64,<data>").');
  return { inlineData: { mimeType: match[1], data: match[2] } };
}

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  heic: 'image/heic',
  heif: 'image/heif',
};

/** Gemini needs a MIME type with fileData; OpenAI image URLs come without one, so the extension decides. */
function guessImageMimeType(url: string): string {
  const path = url.replace(/[?#].*$/s, '');
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return (extension && IMAGE_TYPES[extension]) || 'image/jpeg';
}

function convertTools(request: ChatCompletionRequest): Record<string, unknown>[] | undefined {
  if (!request.tools || request.tools.length === 0) return undefined;
  const functionDeclarations = request.tools.map((tool, toolIndex) => {
    if (tool.type !== 'function' || !('function' in tool)) throw unsupported(`tools[${toolIndex}]`, 'Gemini supports only tools of type "function".');
    const definition = tool.function as { name: string; description?: string; parameters?: Record<string, unknown> };
    const declaration: Record<string, unknown> = { name: toGeminiFunctionName(definition.name) };
    if (definition.description !== undefined) declaration.description = definition.description;
    if (definition.parameters !== undefined) declaration.parametersJsonSchema = definition.parameters;
    return declaration;
  });
  return [{ functionDeclarations }];
}

/** https://ai.google.dev/api/caching#FunctionCallingConfig; ANY forces a call, optionally restricted by name. */
function convertToolChoice(toolChoice: ChatCompletionRequest['tool_choice']): Record<string, unknown> | undefined {
  if (toolChoice === undefined) return undefined;
  if (toolChoice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (toolChoice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (toolChoice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  if (toolChoice.type === 'function' && 'function' in toolChoice) {
    const name = (toolChoice.function as { name: string }).name;
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [toGeminiFunctionName(name)] } };
  }
  throw unsupported('tool_choice', 'Gemini supports tool_choice "none", "auto", "required" or a named function.');
}

/** https://ai.google.dev/api/generate-content#generationconfig */
function convertGenerationConfig(request: ChatCompletionRequest): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  // OpenAI and Gemini share the temperature range 0..2, so the value passes unchanged.
  if (request.temperature != null) config.temperature = request.temperature;
  if (request.top_p != null) config.topP = request.top_p;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) config.maxOutputTokens = maxTokens;
  if (request.stop != null) config.stopSequences = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.n != null) config.candidateCount = request.n;
  if (request.seed != null) config.seed = request.seed;
  if (request.presence_penalty != null) config.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty != null) config.frequencyPenalty = request.frequency_penalty;

  if (request.logprobs) {
    config.responseLogprobs = true;
    if (request.top_logprobs != null) config.logprobs = request.top_logprobs;
  } else if (request.top_logprobs != null && request.top_logprobs > 0) {
    throw invalid('top_logprobs', 'top_logprobs requires logprobs to be true.');
  }

  const format = request.response_format;
  if (format?.type === 'json_object') {
    config.responseMimeType = 'application/json';
  } else if (format?.type === 'json_schema') {
    // responseJsonSchema takes JSON Schema as OpenAI clients write it, unlike the OpenAPI-subset responseSchema.
    config.responseMimeType = 'application/json';
    const schema = (format.json_schema as { schema?: Record<string, unknown> }).schema;
    if (schema !== undefined) config.responseJsonSchema = schema;
  }
  return config;
}
