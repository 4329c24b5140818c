import { ANTHROPIC_TOOL_NAME, ANTHROPIC_TOOL_USE_ID, fitIdentifier } from '../fit-identifier.js';
import { refuseDeepJson } from '../../json/refuse-deep-json.js';
import type { ChatMessage } from '../openai/openai-api.js';
import { invalidValue as invalid, unsupportedParameter as unsupported } from '../translation-errors.js';
import { convertUserContentToAnthropic, hasVisibleText, type AnthropicBlock } from './convert-user-content.js';

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}

export interface AnthropicConversation {
  messages: AnthropicMessage[];
  system: AnthropicBlock[];
  /** For each of `messages`, the index of the last client message merged into it, to name it in errors. */
  sources: number[];
}

/** Blocks that must come first in a message of each role, in the order they arrive. */
const LEADING_BLOCKS: Readonly<Record<AnthropicMessage['role'], ReadonlySet<unknown>>> = {
  user: new Set(['tool_result']),
  assistant: new Set(['thinking', 'redacted_thinking']),
};

/**
 * OpenAI messages as Anthropic `messages` and top-level `system`
 * (https://docs.claude.com/en/api/messages). Each of Anthropic's rules below holds by
 * construction, so a history another model wrote, or a client assembled, never earns a 400:
 * 1. There is no system role in `messages`: system and developer messages, wherever they
 *    stand, become `system` text blocks.
 * 2. Text blocks are neither empty nor only whitespace ("text content blocks must contain
 *    non-whitespace text"): such text is left out, in messages, system and tool results, the
 *    way OpenAI's "\n\n" before a tool call disappears; a message left with nothing is dropped.
 * 3. Roles alternate: consecutive messages of one role are merged, so the results of parallel
 *    calls share one user message.
 * 4. tool_result blocks come first in their user message, before any text
 *    (https://docs.claude.com/en/docs/agents-and-tools/tool-use/implement-tool-use#handling-results-from-client-tools).
 *    That every call is answered right after it is checkToolCallPairing's part.
 * 5. tool_use ids match `^[a-zA-Z0-9_-]+$` and are unique in the request: an id minted by
 *    another provider (`functions.read_file:0`) is fitted (fitIdentifier), and an id reused
 *    by a later turn gets a distinct one, derived from how often it was used before; a tool
 *    result takes the id given to the call it answers. Both depend only on the history, so
 *    a resent conversation gets the same ids.
 * 6. Tool names in history match `^[a-zA-Z0-9_-]{1,64}$` (fitted the same way).
 * 7. Thinking blocks come first in their assistant message, unmodified (extended thinking,
 *    "Preserving thinking blocks"); they are sent only when this request thinks.
 * 8. A final assistant message (a prefill) does not end with whitespace ("final assistant
 *    content cannot end with trailing whitespace"): its last text is trimmed at the end.
 * 9. The conversation begins with a user turn ("first message must use the \"user\" role").
 *    Nothing can be made up in its place, so a conversation that does not (an assistant turn
 *    first, or a first user message with no visible content, which rule 2 leaves out) is refused
 *    with a 400 naming that message, before anything is sent.
 *
 * @param replayThinking whether to send the `thinking_blocks` a client returns on assistant messages.
 */
export function convertMessagesToAnthropic(openAIMessages: readonly ChatMessage[], replayThinking: boolean): AnthropicConversation {
  const messages: AnthropicMessage[] = [];
  const sources: number[] = [];
  const system: AnthropicBlock[] = [];
  const toolUseIds = new ToolUseIds();

  const append = (role: AnthropicMessage['role'], blocks: AnthropicBlock[], messageIndex: number): void => {
    if (blocks.length === 0) return;
    const last = messages.at(-1);
    if (!last || last.role !== role) {
      messages.push({ role, content: blocks });
      sources.push(messageIndex);
      return;
    }
    sources[sources.length - 1] = messageIndex;
    const leading = LEADING_BLOCKS[role];
    for (const block of blocks) {
      const firstOther = leading.has(block.type) ? last.content.findIndex((existing) => !leading.has(existing.type)) : -1;
      if (firstOther === -1) last.content.push(block);
      else last.content.splice(firstOther, 0, block);
    }
  };

  openAIMessages.forEach((message, messageIndex) => {
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...textBlocks(message.content));
        return;
      case 'user':
        append('user', convertUserContentToAnthropic(message.content, messageIndex), messageIndex);
        return;
      case 'assistant': {
        const param = `messages[${messageIndex}]`;
        const blocks = replayThinking ? thinkingBlocks((message as Record<string, unknown>).thinking_blocks, `${param}.thinking_blocks`) : [];
        blocks.push(...textBlocks(message.content ?? null));
        if (hasVisibleText(message.refusal)) blocks.push({ type: 'text', text: message.refusal });
        (message.tool_calls ?? []).forEach((toolCall, callIndex) => {
          const input = parseArguments(toolCall.function.arguments, `${param}.tool_calls[${callIndex}].function.arguments`);
          blocks.push({ type: 'tool_use', id: toolUseIds.call(toolCall.id), name: fitIdentifier(toolCall.function.name, ANTHROPIC_TOOL_NAME), input });
        });
        append('assistant', blocks, messageIndex);
        return;
      }
      case 'tool': {
        const result: AnthropicBlock = { type: 'tool_result', tool_use_id: toolUseIds.result(message.tool_call_id) };
        const content = toolResultContent(message.content);
        if (content !== undefined) result.content = content;
        append('user', [result], messageIndex);
        return;
      }
      case 'function':
        throw unsupported(`messages[${messageIndex}].role`, 'The deprecated "function" role is not supported for Anthropic models; use tool calls and "tool" messages.');
      default: {
        const unhandled: never = message;
        throw unsupported(`messages[${messageIndex}].role`, `Unsupported message ${JSON.stringify(unhandled).slice(0, 100)}.`);
      }
    }
  });
  trimFinalAssistantText(messages);
  requireLeadingUserTurn(messages, openAIMessages);
  return { messages, system, sources };
}

/** Rule 9: refuses a conversation that does not begin with a user turn, naming the message that begins it. */
function requireLeadingUserTurn(messages: readonly AnthropicMessage[], openAIMessages: readonly ChatMessage[]): void {
  // No message at all is convertAnthropicRequest's "at least one message" refusal.
  if (messages.length === 0 || messages[0]!.role === 'user') return;
  const first = openAIMessages.findIndex((message) => message.role !== 'system' && message.role !== 'developer');
  if (openAIMessages[first]!.role === 'user') {
    throw invalid(`messages[${first}].content`, `messages[${first}] has no visible content, and Anthropic models need the conversation to begin with a user message that has some.`);
  }
  throw invalid(`messages[${first}].role`, `Anthropic models need the conversation to begin with a user message; messages[${first}] is an "${openAIMessages[first]!.role}" message.`);
}

/**
 * Anthropic ids for the client's tool call ids (rule 5). A call takes its fitted id, or,
 * when an earlier call already has that id, the fitted id of "<id>\0<n>" (the NUL forces a
 * rewrite) for the first n that is free; a result takes the id of the latest call it names.
 */
class ToolUseIds {
  readonly #used = new Set<string>();
  readonly #latest = new Map<string, string>();

  call(clientId: string): string {
    let id = fitIdentifier(clientId, ANTHROPIC_TOOL_USE_ID);
    for (let occurrence = 1; this.#used.has(id); occurrence++) id = fitIdentifier(`${clientId}\u0000${occurrence}`, ANTHROPIC_TOOL_USE_ID);
    this.#used.add(id);
    this.#latest.set(clientId, id);
    return id;
  }

  result(clientId: string): string {
    // checkToolCallPairing has made sure a call precedes every result.
    return this.#latest.get(clientId) ?? fitIdentifier(clientId, ANTHROPIC_TOOL_USE_ID);
  }
}

type TextContent = string | null | ReadonlyArray<{ type: string; text?: string; refusal?: string }>;

/** Text as text blocks, one per OpenAI part; an assistant's refusal part is text the model wrote. */
function textBlocks(content: TextContent): AnthropicBlock[] {
  if (content === null) return [];
  if (typeof content === 'string') return hasVisibleText(content) ? [{ type: 'text', text: content }] : [];
  const blocks: AnthropicBlock[] = [];
  for (const part of content) {
    const text = part.type === 'refusal' ? part.refusal : part.text;
    if (hasVisibleText(text)) blocks.push({ type: 'text', text });
  }
  return blocks;
}

/**
 * tool_result content is a string or text blocks (https://docs.claude.com/en/api/messages#tool-result),
 * and may be absent; an output with no visible text is sent without content (rule 2).
 */
function toolResultContent(content: string | ReadonlyArray<{ text: string }>): string | AnthropicBlock[] | undefined {
  if (typeof content === 'string') return hasVisibleText(content) ? content : undefined;
  const blocks = content.filter((part) => hasVisibleText(part.text)).map((part) => ({ type: 'text', text: part.text }));
  return blocks.length > 0 ? blocks : undefined;
}

/** The thinking blocks a client sends back as the gateway returned them (`thinking_blocks` on the message). */
function thinkingBlocks(value: unknown, param: string): AnthropicBlock[] {
  if (value == null) return [];
  if (!Array.isArray(value)) throw invalid(param, 'Expected thinking_blocks as the gateway returned them: an array of thinking blocks.');
  return value.map((block: unknown, index) => {
    const candidate = (block ?? {}) as Record<string, unknown>;
    if (candidate.type === 'thinking' && typeof candidate.thinking === 'string' && typeof candidate.signature === 'string') {
      return { type: 'thinking', thinking: candidate.thinking, signature: candidate.signature };
    }
    if (candidate.type === 'redacted_thinking' && typeof candidate.data === 'string') return { type: 'redacted_thinking', data: candidate.data };
    throw invalid(`${param}[${index}]`, 'Expected {"type":"thinking","thinking":...,"signature":...} or {"type":"redacted_thinking","data":...}, as the gateway returned it.');
  });
}

/** Anthropic takes tool input as a JSON object, not a string. */
function parseArguments(text: string, param: string): Record<string, unknown> {
  // An empty string is how some clients write a call without arguments.
  if (text.trim() === '') return {};
  // Parsed, the arguments become part of the provider body, which JSON.stringify walks recursively.
  refuseDeepJson(text, param);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(param, 'Tool call arguments must be a JSON object; Anthropic takes them parsed.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(param, 'Tool call arguments must be a JSON object; Anthropic takes them parsed.');
  return value as Record<string, unknown>;
}

/** Rule 8. Blocks are the translator's own objects, so trimming in place changes nothing the client sent. */
function trimFinalAssistantText(messages: AnthropicMessage[]): void {
  const last = messages.at(-1);
  if (last?.role !== 'assistant') return;
  const block = last.content.at(-1);
  if (block?.type === 'text' && typeof block.text === 'string') block.text = block.text.trimEnd();
}
