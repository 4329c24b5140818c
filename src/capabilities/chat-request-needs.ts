import type { ChatCompletionRequest } from '../providers/openai/openai-api.js';
import type { Capability, RequestNeeds } from './request-needs.js';

/**
 * What a Chat Completions request needs of its model: tools (a non-empty `tools`, or the
 * legacy `functions`), vision (an `image_url` content part), a JSON schema
 * (`response_format.type` "json_schema"), reasoning controls (`reasoning_effort`). Paths are
 * in the bracket form OpenAI's own errors use for arrays ("messages[0].content[1]").
 */
export function chatRequestNeeds(request: ChatCompletionRequest): RequestNeeds {
  const uses: Partial<Record<Capability, string>> = {};
  if (Array.isArray(request.tools) && request.tools.length > 0) uses.tools = 'tools';
  else if (Array.isArray(request.functions) && request.functions.length > 0) uses.tools = 'functions';
  const image = firstImage(request);
  if (image !== undefined) uses.vision = image;
  if ((request.response_format as { type?: unknown } | null | undefined)?.type === 'json_schema') uses.json_schema = 'response_format';
  if (request.reasoning_effort !== undefined && request.reasoning_effort !== null) uses.reasoning = 'reasoning_effort';
  return { uses, maxOutputTokens: request.max_completion_tokens ?? request.max_tokens ?? undefined };
}

function firstImage(request: ChatCompletionRequest): string | undefined {
  for (const [index, message] of request.messages.entries()) {
    const content: unknown = message.content;
    if (!Array.isArray(content)) continue;
    const part = content.findIndex((item: { type?: unknown } | null) => item?.type === 'image_url');
    if (part !== -1) return `messages[${index}].content[${part}]`;
  }
  return undefined;
}
