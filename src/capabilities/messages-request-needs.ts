import type { MessagesRequest } from '../api/anthropic-messages/messages-request.js';
import type { Capability, RequestNeeds } from './request-needs.js';

/**
 * What an Anthropic Messages request needs of its model: tools (a non-empty `tools`), vision
 * (an `image` block, in a tool result too), a JSON schema (`output_config.format`), reasoning
 * controls (`thinking` other than disabled, or `output_config.effort`). Paths are in the
 * dotted form Anthropic's own errors use ("messages.0.content.1").
 */
export function messagesRequestNeeds(request: MessagesRequest): RequestNeeds {
  const uses: Partial<Record<Capability, string>> = {};
  if (Array.isArray(request.tools) && request.tools.length > 0) uses.tools = 'tools';
  const image = firstImage(request);
  if (image !== undefined) uses.vision = image;
  if (request.output_config?.format) uses.json_schema = 'output_config.format';
  if (request.thinking && request.thinking.type !== 'disabled') uses.reasoning = 'thinking';
  else if (request.output_config?.effort) uses.reasoning = 'output_config.effort';
  return { uses, maxOutputTokens: request.max_tokens };
}

function firstImage(request: MessagesRequest): string | undefined {
  for (const [index, message] of request.messages.entries()) {
    const found = imageIn(message.content, `messages.${index}.content`);
    if (found !== undefined) return found;
  }
  return undefined;
}

function imageIn(content: unknown, path: string): string | undefined {
  if (!Array.isArray(content)) return undefined;
  for (const [index, block] of (content as Array<{ type?: unknown; content?: unknown } | null>).entries()) {
    if (block?.type === 'image') return `${path}.${index}`;
    if (block?.type === 'tool_result') {
      const inner = imageIn(block.content, `${path}.${index}.content`);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}
