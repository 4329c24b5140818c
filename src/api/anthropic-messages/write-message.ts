import type { Completion, ContentBlock } from '../../model/completion.js';
import { ZERO_USAGE } from '../../model/usage.js';
import { anthropicUsage, type AnthropicUsage } from './anthropic-usage.js';
import { toAnthropicStopReason, type AnthropicStopReason } from './anthropic-stop-reason.js';

/** The blocks of an answer (SDK `ContentBlock`, the kinds the gateway produces). */
export type AnthropicContentBlock =
  | { type: 'text'; text: string; citations: null }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown>; caller: { type: 'direct' } };

/**
 * A whole answer in Anthropic's shape (SDK `Message`, https://docs.claude.com/en/api/messages
 * "Response"). Fields the gateway cannot know (container, diagnostics, stop_details) are null,
 * which is what Anthropic sends when they do not apply.
 */
export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicContentBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  stop_details: null;
  container: null;
  diagnostics: null;
  usage: AnthropicUsage;
}

export interface MessageContext {
  /** The message id the client sees, "msg_" and a unique suffix, chosen by the caller. */
  id: string;
  /** The model to report when the provider named none (the model the client asked for). */
  model: string;
}

/**
 * A neutral Completion as Anthropic's Message JSON, for a non-streamed request that a
 * translated provider answered:
 * - text: text blocks; empty ones are left out (Anthropic never returns one, and refuses
 *   them when a client sends them back).
 * - reasoning: thinking blocks with their signature, "" when the provider gave none (only
 *   Anthropic signs thinking; a client sending such a block to Anthropic later is refused
 *   there, and translators drop thinking anyway).
 * - redacted reasoning: redacted_thinking.
 * - tool calls: tool_use blocks whose `input` is the arguments parsed. Arguments that are
 *   empty are `{}` (a call without arguments); arguments that are not a JSON object (a call
 *   cut off by max_tokens, a model's malformed JSON) are `{}` too: Anthropic's `input` must
 *   be an object, a 200 already metered is not worth failing, and the client's tool then
 *   reports missing arguments to the model, the same recovery as for any bad call.
 * - stop_reason from the finish reason (toAnthropicStopReason); stop_sequence when given.
 * - usage in Anthropic's terms (anthropicUsage); zero when the provider reported none.
 */
export function writeMessage(completion: Completion, context: MessageContext): AnthropicMessage {
  // Anthropic's Message has no alternatives: an Anthropic request never asks for several.
  const choice = completion.choices[0] ?? { index: 0, content: [], finishReason: 'stop' as const };
  const content: AnthropicContentBlock[] = [];
  for (const block of choice.content) {
    const written = writeBlock(block);
    if (written) content.push(written);
  }
  const stopReason = toAnthropicStopReason(choice.finishReason);
  return {
    id: context.id,
    type: 'message',
    role: 'assistant',
    model: completion.model ?? context.model,
    content,
    stop_reason: stopReason,
    stop_sequence: stopReason === 'stop_sequence' ? (choice.stopSequence ?? null) : null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: anthropicUsage(completion.usage ?? ZERO_USAGE),
  };
}

function writeBlock(block: ContentBlock): AnthropicContentBlock | undefined {
  switch (block.type) {
    case 'text':
      return block.text ? { type: 'text', text: block.text, citations: null } : undefined;
    case 'reasoning':
      return { type: 'thinking', thinking: block.text, signature: block.signature ?? '' };
    case 'redacted-reasoning':
      return { type: 'redacted_thinking', data: block.data };
    case 'tool-call':
      return { type: 'tool_use', id: block.id, name: block.name, input: toolInput(block.arguments), caller: { type: 'direct' } };
    default: {
      const unhandled: never = block;
      return unhandled;
    }
  }
}

/** The JSON arguments text as the input object; anything that is not a JSON object is `{}` (see writeMessage). */
function toolInput(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Not JSON: see writeMessage.
  }
  return {};
}
