import type { Completion, CompletionChoice } from '../../model/completion.js';
import { toOpenAIFinishReason } from './openai-finish-reason.js';
import { usageToOpenAI } from './openai-usage.js';

export interface ChatCompletionContext {
  /** "chatcmpl-...". */
  id: string;
  /** Unix seconds. */
  created: number;
  /** Reported when the provider names no model. */
  model: string;
}

/**
 * A neutral completion as an OpenAI `chat.completion` (openai-openapi
 * `CreateChatCompletionResponse`): per choice, the text blocks concatenated as `content`
 * (null when there is none: a reply that only calls tools, or a refusal that produced
 * nothing), reasoning as `reasoning_content` (never inside the answer), tool calls with their
 * JSON arguments, log probabilities, and the finish reason; usage in OpenAI's terms.
 */
export function writeChatCompletion(completion: Completion, context: ChatCompletionContext): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: context.id,
    object: 'chat.completion',
    created: context.created,
    model: completion.model ?? context.model,
    choices: completion.choices.map(writeChoice),
  };
  if (completion.usage) body.usage = usageToOpenAI(completion.usage);
  return body;
}

function writeChoice(choice: CompletionChoice): Record<string, unknown> {
  let text: string | null = null;
  let reasoning: string | undefined;
  const toolCalls: Record<string, unknown>[] = [];
  for (const block of choice.content) {
    if (block.type === 'text') text = (text ?? '') + block.text;
    else if (block.type === 'reasoning') reasoning = (reasoning ?? '') + block.text;
    else if (block.type === 'tool-call') toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: block.arguments } });
  }
  const message: Record<string, unknown> = { role: 'assistant', content: text, refusal: null, annotations: [] };
  if (reasoning !== undefined) message.reasoning_content = reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    index: choice.index,
    message,
    logprobs: choice.logprobs === undefined ? null : { content: choice.logprobs, refusal: null },
    finish_reason: toOpenAIFinishReason(choice.finishReason),
  };
}
