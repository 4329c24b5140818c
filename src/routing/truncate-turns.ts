/**
 * Dropping the oldest turns of a conversation (context_policy `truncate`), for both client
 * formats: Chat Completions (`messages`, with system/developer turns and `tool` results) and
 * Anthropic Messages (`messages` under the endpoint's parsed call, `system` apart, tool results
 * as `tool_result` blocks in user turns).
 *
 * The conversation is cut into exchanges, each starting at a user turn that asks something (not
 * one that only returns tool results) and running to the next: an exchange holds its
 * assistant's tool calls and their results, so dropping whole exchanges never separates a call
 * from its result, and the turns left still alternate as both APIs require. System and
 * developer turns are kept wherever they are; the last exchange (the last user turn and what
 * follows) is never dropped.
 */

type Message = { role?: unknown; content?: unknown };

/** How many exchanges can be dropped (every one but the last). */
export function droppableExchanges(request: unknown): number {
  return Math.max(0, exchangeStarts(messagesOf(request)).length - 1);
}

/**
 * The request with its oldest `count` exchanges dropped (count <= droppableExchanges), and
 * how many turns (messages) that removed. The client's request is not changed.
 */
export function dropOldestExchanges(request: unknown, count: number): { request: unknown; droppedTurns: number } {
  const messages = messagesOf(request);
  const starts = exchangeStarts(messages);
  if (count <= 0 || starts.length <= 1) return { request, droppedTurns: 0 };
  const until = starts[Math.min(count, starts.length - 1)]!;
  const kept = messages.filter((message, index) => index >= until || isSystem(message));
  return { request: withMessages(request, kept), droppedTurns: messages.length - kept.length };
}

/** Indexes where exchanges start: the first non-system turn, then every asking user turn after it. */
function exchangeStarts(messages: readonly Message[]): number[] {
  const starts: number[] = [];
  messages.forEach((message, index) => {
    if (isSystem(message)) return;
    if (starts.length === 0 || (message.role === 'user' && !onlyToolResults(message.content))) starts.push(index);
  });
  return starts;
}

function isSystem(message: Message): boolean {
  return message?.role === 'system' || message?.role === 'developer';
}

/** An Anthropic user turn that only returns tool results: it belongs to the exchange of its tool calls. */
function onlyToolResults(content: unknown): boolean {
  return Array.isArray(content) && content.length > 0 && content.every((block: { type?: unknown } | null) => block?.type === 'tool_result');
}

/** The Messages endpoint's parsed call holds the Anthropic request under `request`. */
function messagesOf(request: unknown): Message[] {
  const fields = (request ?? {}) as { messages?: unknown; request?: { messages?: unknown } };
  const messages = Array.isArray(fields.messages) ? fields.messages : fields.request?.messages;
  return Array.isArray(messages) ? (messages as Message[]) : [];
}

function withMessages(request: unknown, messages: Message[]): unknown {
  const fields = request as { messages?: unknown; request?: Record<string, unknown> };
  if (Array.isArray(fields.messages)) return { ...fields, messages };
  return { ...fields, request: { ...fields.request, messages } };
}
