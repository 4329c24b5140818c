import type { MessagesRequest } from './messages-request.js';

/** What shapes a prompt, common to a create and a count_tokens request. */
export type PromptFields = Pick<MessagesRequest, 'system' | 'messages' | 'tools'>;

/**
 * The text of a Messages request that a provider turns into prompt tokens, for the
 * tokenizer: system text, text blocks, tool calls' inputs, tool results' text and the tool
 * definitions. Images and documents are counted by messagesMediaBlocks instead.
 */
export function messagesPromptText(request: PromptFields): string {
  const parts: string[] = [];
  const system = request.system;
  if (typeof system === 'string') parts.push(system);
  else if (Array.isArray(system)) for (const block of system) parts.push(block.text);
  for (const message of request.messages) collect(message.content, parts);
  if (request.tools) parts.push(JSON.stringify(request.tools));
  return parts.join('\n');
}

/** Image and document blocks, anywhere in the messages (tool results included): each may cost many tokens. */
export function messagesMediaBlocks(request: PromptFields): number {
  let count = 0;
  const visit = (content: unknown) => {
    if (!Array.isArray(content)) return;
    for (const block of content as Array<Record<string, unknown>>) {
      if (block?.type === 'image' || block?.type === 'document') count += 1;
      else if (block?.type === 'tool_result') visit(block.content);
    }
  };
  for (const message of request.messages) visit(message.content);
  return count;
}

function collect(content: unknown, parts: string[]): void {
  if (typeof content === 'string') {
    parts.push(content);
    return;
  }
  if (!Array.isArray(content)) return;
  for (const block of content as Array<Record<string, unknown>>) {
    if (typeof block?.text === 'string') parts.push(block.text);
    else if (typeof block?.thinking === 'string') parts.push(block.thinking);
    else if (block?.type === 'tool_use') parts.push(String(block.name ?? ''), JSON.stringify(block.input ?? {}));
    else if (block?.type === 'tool_result') collect(block.content, parts);
  }
}
