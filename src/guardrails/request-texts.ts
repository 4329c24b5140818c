/** One string inside a parsed request, read and written in place. */
export interface TextSlot {
  get(): string;
  set(value: string): void;
}

/**
 * Texts a provider reads as one run: the text parts of one message (a value may be split
 * across parts), or one standalone string (a system prompt, a tool call's arguments).
 * `role` says whose text it is: injection patterns are looked for in user text and tool results.
 */
export interface TextGroup {
  readonly role: 'system' | 'user' | 'assistant' | 'tool';
  readonly slots: TextSlot[];
}

type Json = Record<string, unknown>;

function slot(holder: Json | unknown[], key: string | number): TextSlot {
  const target = holder as Record<string | number, unknown>;
  return { get: () => target[key] as string, set: (value) => (target[key] = value) };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every string inside a JSON value (a tool call's input object), each its own slot. */
function jsonStrings(value: unknown, into: TextSlot[]): void {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      if (typeof item === 'string') into.push(slot(value, index));
      else jsonStrings(item, into);
    }
  } else if (isObject(value)) {
    for (const key of Object.keys(value)) {
      if (typeof value[key] === 'string') into.push(slot(value, key));
      else jsonStrings(value[key], into);
    }
  }
}

/** Text parts ({type:"text", text}) of a content array, as one group. */
function textParts(content: unknown[], role: TextGroup['role']): TextGroup {
  const slots: TextSlot[] = [];
  for (const part of content) if (isObject(part) && part.type === 'text' && typeof part.text === 'string') slots.push(slot(part, 'text'));
  return { role, slots };
}

/**
 * The texts of an OpenAI chat completions request: each message's content (a string, or its
 * text parts as one group), assistant tool calls' and function calls' arguments (JSON strings,
 * which a placeholder without quotes keeps valid). Roles: developer counts as system, tool and
 * function results as tool.
 */
export function chatRequestTexts(request: { messages: unknown[] }): TextGroup[] {
  const groups: TextGroup[] = [];
  for (const message of request.messages) {
    if (!isObject(message)) continue;
    const role = message.role === 'tool' || message.role === 'function' ? 'tool' : message.role === 'assistant' ? 'assistant' : message.role === 'user' ? 'user' : 'system';
    if (typeof message.content === 'string') groups.push({ role, slots: [slot(message, 'content')] });
    else if (Array.isArray(message.content)) groups.push(textParts(message.content, role));
    if (Array.isArray(message.tool_calls)) {
      for (const call of message.tool_calls) {
        if (isObject(call) && isObject(call.function) && typeof call.function.arguments === 'string') groups.push({ role, slots: [slot(call.function, 'arguments')] });
      }
    }
    if (isObject(message.function_call) && typeof message.function_call.arguments === 'string') groups.push({ role, slots: [slot(message.function_call, 'arguments')] });
  }
  return groups;
}

/**
 * The texts of an Anthropic Messages request: the system prompt, each message's text blocks
 * (one group per run of blocks), tool results' content (role tool) and the strings of
 * tool_use inputs.
 */
export function messagesRequestTexts(request: { system?: unknown; messages: unknown[] }): TextGroup[] {
  const groups: TextGroup[] = [];
  if (typeof request.system === 'string') groups.push({ role: 'system', slots: [slot(request as Json, 'system')] });
  else if (Array.isArray(request.system)) groups.push(textParts(request.system, 'system'));
  for (const message of request.messages) {
    if (!isObject(message)) continue;
    const role = message.role === 'assistant' ? 'assistant' : message.role === 'user' ? 'user' : 'system';
    if (typeof message.content === 'string') {
      groups.push({ role, slots: [slot(message, 'content')] });
      continue;
    }
    if (!Array.isArray(message.content)) continue;
    groups.push(textParts(message.content, role));
    for (const block of message.content) {
      if (!isObject(block)) continue;
      if (block.type === 'tool_result') {
        if (typeof block.content === 'string') groups.push({ role: 'tool', slots: [slot(block, 'content')] });
        else if (Array.isArray(block.content)) groups.push(textParts(block.content, 'tool'));
      } else if (block.type === 'tool_use') {
        const slots: TextSlot[] = [];
        jsonStrings(block.input, slots);
        for (const one of slots) groups.push({ role, slots: [one] });
      }
    }
  }
  return groups.filter((group) => group.slots.length > 0);
}

/**
 * The texts of an embeddings request: `input` as a string or each string of an array (token
 * arrays carry no text). Masking changes what is embedded; `block`, `redact` or `log` are the
 * usual choices here.
 */
export function embeddingsRequestTexts(request: { input: unknown }): TextGroup[] {
  if (typeof request.input === 'string') return [{ role: 'user', slots: [slot(request as Json, 'input')] }];
  if (!Array.isArray(request.input)) return [];
  const input = request.input;
  return input.flatMap((item, index) => (typeof item === 'string' ? [{ role: 'user' as const, slots: [slot(input, index)] }] : []));
}

/**
 * The texts of a moderations request: `input` as a string, each string of an array, or its
 * text parts (one group, like a message's). They reach the provider like any prompt.
 */
export function moderationsRequestTexts(request: { input: unknown }): TextGroup[] {
  if (Array.isArray(request.input) && request.input.some(isObject)) return [textParts(request.input, 'user')].filter((group) => group.slots.length > 0);
  return embeddingsRequestTexts(request);
}
