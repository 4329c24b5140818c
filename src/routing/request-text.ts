/**
 * The texts routing rules read from a client request, for both client formats: Chat
 * Completions (`messages` with `system`/`developer` turns) and Anthropic Messages (a top-level
 * `system`). Content may be a string or a list of parts; only text parts are read.
 */
export interface RequestText {
  /** The text of the last `user` turn ("" when there is none). */
  readonly lastUserMessage: string;
  /** The system prompt: every system/developer turn, or Anthropic's `system`, joined by newlines. */
  readonly systemPrompt: string;
}

export function requestText(request: unknown): RequestText {
  let fields = (request ?? {}) as { messages?: unknown; system?: unknown; request?: unknown };
  // The Messages endpoint's parsed call holds the Anthropic request under `request` (beside its version headers).
  if (fields.messages === undefined && typeof fields.request === 'object' && fields.request !== null) fields = fields.request as typeof fields;
  const messages = Array.isArray(fields.messages) ? (fields.messages as Array<{ role?: unknown; content?: unknown }>) : [];
  const system: string[] = fields.system !== undefined ? [textOf(fields.system)] : [];
  let lastUser = '';
  for (const message of messages) {
    if (message?.role === 'system' || message?.role === 'developer') system.push(textOf(message.content));
    else if (message?.role === 'user') lastUser = textOf(message.content);
  }
  return { lastUserMessage: lastUser, systemPrompt: system.join('\n') };
}

/** A string, or the text parts of a list of content parts (OpenAI `{type:"text",text}`, Anthropic the same), joined by newlines. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: { type?: unknown; text?: unknown } | null) => (part?.type === 'text' && typeof part.text === 'string' ? part.text : ''))
    .filter((text) => text !== '')
    .join('\n');
}
