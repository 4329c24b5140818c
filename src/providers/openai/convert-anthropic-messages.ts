import {
  isKnownContentBlock,
  isKnownToolResultContent,
  type ContentBlockParam,
  type ToolResultBlockParam,
  type ToolUseBlockParam,
} from '../../api/anthropic-messages/content-block.js';
import type { MessageParam, MessagesRequest } from '../../api/anthropic-messages/messages-request.js';
import type { ChatMessage, ToolCall } from './openai-api.js';
import { documentParts, imagePart, textContent, textPart, type OpenAIContentPart, type OpenAITextPart } from './anthropic-content-to-openai-parts.js';
import type { OpenAIChatTarget } from './openai-chat-target.js';
import { refuseUnhandledFields, untranslatable } from './refuse-untranslatable.js';

const MESSAGE_FIELDS: ReadonlySet<string> = new Set(['role', 'content']);
/** `caller` is checked on its own: only a call the model made directly exists outside Anthropic. */
const TOOL_USE_FIELDS: ReadonlySet<string> = new Set(['type', 'id', 'name', 'input', 'cache_control', 'caller']);
const TOOL_RESULT_FIELDS: ReadonlySet<string> = new Set(['type', 'tool_use_id', 'content', 'is_error', 'cache_control']);

/**
 * The conversation of an Anthropic request as Chat Completions messages
 * (https://platform.openai.com/docs/api-reference/chat/create#chat-create-messages):
 * - top-level `system` first, as a system message; `system` messages inside `messages`
 *   (as Claude Code sends) stay where they are, as system messages.
 * - user messages: text, images and documents become content parts (a string stays a
 *   string). tool_result blocks become `tool` messages placed before the user's other content,
 *   because OpenAI wants the results right after the assistant message that made the calls.
 * - assistant messages: text becomes content, tool_use blocks become `tool_calls` with the
 *   input as JSON text. Thinking and redacted thinking are dropped: Chat Completions has no
 *   field for reasoning in history, and a signature means nothing to another provider. An
 *   assistant message left with nothing (only thinking) is left out, as OpenAI refuses an
 *   assistant message with neither content nor tool calls.
 * - a final assistant message (prefill, which Anthropic continues) is refused: a Chat
 *   Completions model answers after it rather than continuing it.
 * - blocks in the wrong role (tool_use from the user, tool_result or images from the
 *   assistant) and block kinds the gateway does not know (Anthropic's server tools and their
 *   results) are refused, naming the block.
 */
export function convertAnthropicMessages(request: MessagesRequest, target: OpenAIChatTarget): ChatMessage[] {
  const messages: ChatMessage[] = [];
  const system = request.system;
  if (typeof system === 'string') {
    if (system !== '') messages.push({ role: 'system', content: system });
  } else if (system != null && system.length > 0) {
    messages.push({ role: 'system', content: textContent(system, 'system') });
  }
  const last = request.messages.length - 1;
  request.messages.forEach((message, index) => {
    const path = `messages.${index}`;
    refuseUnhandledFields(message, MESSAGE_FIELDS, path);
    if (index === last && message.role === 'assistant') {
      throw untranslatable(path, 'A final assistant message (prefill) cannot be continued by an OpenAI-compatible model; end the conversation with a user message.');
    }
    messages.push(...convertMessage(message, path, target));
  });
  return messages;
}

function convertMessage(message: MessageParam, path: string, target: OpenAIChatTarget): ChatMessage[] {
  switch (message.role) {
    case 'system':
      return [{ role: 'system', content: typeof message.content === 'string' ? message.content : textContent(message.content, `${path}.content`) }];
    case 'user':
      return typeof message.content === 'string' ? [{ role: 'user', content: message.content }] : userMessages(message.content, `${path}.content`, target);
    case 'assistant':
      return typeof message.content === 'string' ? [{ role: 'assistant', content: message.content }] : assistantMessages(message.content, `${path}.content`);
    default: {
      const unhandled: never = message;
      return unhandled;
    }
  }
}

/**
 * A user turn: its tool results as tool messages first, then one user message with the
 * rest. Images and PDFs inside tool results, which a tool message cannot carry, open that
 * user message, after a text part saying which call returned them.
 */
function userMessages(blocks: readonly ContentBlockParam[], path: string, target: OpenAIChatTarget): ChatMessage[] {
  const toolMessages: ChatMessage[] = [];
  const attachments: OpenAIContentPart[] = [];
  const parts: OpenAIContentPart[] = [];
  blocks.forEach((block, index) => {
    const blockPath = `${path}.${index}`;
    if (!isKnownContentBlock(block)) throw unknownBlock(block.type, blockPath);
    switch (block.type) {
      case 'text':
        parts.push(textPart(block, blockPath));
        return;
      case 'image':
        parts.push(imagePart(block, blockPath));
        return;
      case 'document':
        parts.push(...documentParts(block, blockPath, target));
        return;
      case 'tool_result': {
        const result = toolResult(block, blockPath, target);
        toolMessages.push(result.message);
        if (result.attachments.length > 0) attachments.push({ type: 'text', text: `Attachments of the result of tool call ${block.tool_use_id}:` }, ...result.attachments);
        return;
      }
      case 'tool_use':
      case 'thinking':
      case 'redacted_thinking':
        throw untranslatable(`${blockPath}.type`, `A ${block.type} block belongs in an assistant message.`);
      default:
        // Exhaustive: a new variant is a compile error here.
        block satisfies never;
    }
  });
  const content = [...attachments, ...parts];
  return content.length > 0 || toolMessages.length === 0 ? [...toolMessages, { role: 'user', content }] : toolMessages;
}

/**
 * A tool_result as a tool message. Its text is the message content; images and documents
 * go to the user message that follows (userMessages). `is_error` has no field in Chat
 * Completions, so a failed tool's content starts with "Error: " (or is "Error" when empty),
 * which is how the model learns that the call failed.
 */
function toolResult(block: ToolResultBlockParam, path: string, target: OpenAIChatTarget): { message: ChatMessage; attachments: OpenAIContentPart[] } {
  refuseUnhandledFields(block, TOOL_RESULT_FIELDS, path);
  const texts: OpenAITextPart[] = [];
  const attachments: OpenAIContentPart[] = [];
  const content = block.content ?? '';
  if (typeof content === 'string') {
    if (content !== '') texts.push({ type: 'text', text: content });
  } else {
    content.forEach((inner, index) => {
      const innerPath = `${path}.content.${index}`;
      if (!isKnownToolResultContent(inner)) throw unknownBlock(inner.type, innerPath);
      switch (inner.type) {
        case 'text':
          texts.push(textPart(inner, innerPath));
          return;
        case 'image':
          attachments.push(imagePart(inner, innerPath));
          return;
        case 'document':
          for (const part of documentParts(inner, innerPath, target)) {
            if (part.type === 'text') texts.push(part);
            else attachments.push(part);
          }
          return;
        default:
          // Exhaustive: a new variant is a compile error here.
          inner satisfies never;
      }
    });
  }
  if (block.is_error) {
    const first = texts[0];
    if (first) texts[0] = { type: 'text', text: `Error: ${first.text}` };
    else texts.push({ type: 'text', text: 'Error' });
  }
  const messageContent = texts.length === 0 ? '' : texts.length === 1 ? texts[0]!.text : texts;
  return { message: { role: 'tool', tool_call_id: block.tool_use_id, content: messageContent }, attachments };
}

/** An assistant turn: its text as content, its tool_use blocks as tool_calls; nothing at all when only thinking remains. */
function assistantMessages(blocks: readonly ContentBlockParam[], path: string): ChatMessage[] {
  const texts: OpenAITextPart[] = [];
  const toolCalls: ToolCall[] = [];
  blocks.forEach((block, index) => {
    const blockPath = `${path}.${index}`;
    if (!isKnownContentBlock(block)) throw unknownBlock(block.type, blockPath);
    switch (block.type) {
      case 'text':
        texts.push(textPart(block, blockPath));
        return;
      case 'tool_use':
        toolCalls.push(toolCall(block, blockPath));
        return;
      case 'thinking':
      case 'redacted_thinking':
        return;
      case 'image':
      case 'document':
      case 'tool_result':
        throw untranslatable(`${blockPath}.type`, `A ${block.type} block belongs in a user message.`);
      default:
        // Exhaustive: a new variant is a compile error here.
        block satisfies never;
    }
  });
  if (texts.length === 0 && toolCalls.length === 0) return [];
  const content = texts.length === 0 ? null : texts.length === 1 ? texts[0]!.text : texts;
  return [toolCalls.length > 0 ? { role: 'assistant', content, tool_calls: toolCalls } : { role: 'assistant', content }];
}

function toolCall(block: ToolUseBlockParam, path: string): ToolCall {
  refuseUnhandledFields(block, TOOL_USE_FIELDS, path);
  const caller = block.caller as { type?: unknown } | null | undefined;
  if (caller != null && caller.type !== 'direct') {
    throw untranslatable(`${path}.caller`, 'Tool calls made from Anthropic’s code execution cannot be replayed to an OpenAI-compatible model.');
  }
  return { id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input) } };
}

/** Server tool calls and results (server_tool_use, web_search_tool_result...) and kinds the gateway does not know. */
function unknownBlock(type: string, path: string) {
  return untranslatable(`${path}.type`, `"${type}" blocks are Anthropic's own; an OpenAI-compatible model cannot take them.`);
}
