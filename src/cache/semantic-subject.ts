/**
 * What the semantic cache compares for one request: the text of the last user turn, and the
 * rest of the request (parameters, system prompt and every earlier turn) that must match
 * exactly. Undefined when the request may not be served a neighbour's answer:
 * - tools offered (OpenAI `tools`/`functions`, Anthropic `tools`): the answer may be a call;
 * - tool results or calls in the conversation (OpenAI `tool`/`function` roles, assistant
 *   `tool_calls`; Anthropic `tool_use`/`tool_result` blocks): the answer depends on data;
 * - anything but text in the last turn or earlier (images, audio, files, documents);
 * - `n` > 1 (several samples asked for: one stored answer is not several);
 * - a last turn that is not the user's (an assistant prefill) or has no text.
 */
export interface SemanticSubject {
  /** The last user turn's text (text parts joined by a newline): what is embedded. */
  text: string;
  /** The request without its last turn: hashed, with the scope and model, into the partition key. */
  context: Record<string, unknown>;
}

const OPENAI_TEXT_PARTS = new Set(['text']);
const ANTHROPIC_TEXT_BLOCKS = new Set(['text']);

/** The subject of a chat completion (OpenAI) or a Messages call's body (Anthropic); see SemanticSubject. */
export function semanticSubject(format: 'openai' | 'anthropic', body: unknown): SemanticSubject | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const request = body as Record<string, unknown>;
  if (hasItems(request.tools) || hasItems(request.functions)) return undefined;
  if (typeof request.n === 'number' && request.n > 1) return undefined;
  const messages = request.messages;
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  const textParts = format === 'openai' ? OPENAI_TEXT_PARTS : ANTHROPIC_TEXT_BLOCKS;
  const texts: string[][] = [];
  for (const message of messages) {
    if (message === null || typeof message !== 'object') return undefined;
    const { role, content, tool_calls: toolCalls, function_call: functionCall } = message as Record<string, unknown>;
    if (role === 'tool' || role === 'function' || hasItems(toolCalls) || functionCall != null) return undefined;
    const text = textOf(content, textParts);
    if (text === undefined) return undefined;
    texts.push(text);
  }
  const last = messages.at(-1) as { role?: unknown };
  const lastText = texts.at(-1)!.join('\n');
  if (last.role !== 'user' || lastText.trim() === '') return undefined;
  return { text: lastText, context: { ...request, messages: messages.slice(0, -1) } };
}

/** The text parts of a message's content, or undefined when it holds anything else. */
function textOf(content: unknown, textParts: ReadonlySet<string>): string[] | undefined {
  if (typeof content === 'string') return [content];
  if (content === null || content === undefined) return [];
  if (!Array.isArray(content)) return undefined;
  const texts: string[] = [];
  for (const part of content) {
    if (part === null || typeof part !== 'object') return undefined;
    const { type, text } = part as { type?: unknown; text?: unknown };
    if (typeof type !== 'string' || !textParts.has(type) || typeof text !== 'string') return undefined;
    texts.push(text);
  }
  return texts;
}

function hasItems(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : value !== undefined && value !== null;
}
