import type { ClientFormat } from '../endpoints/endpoint.js';

/**
 * The texts of a whole answer in the client's format, for a moderation model: each OpenAI
 * choice's message content, or an Anthropic message's text blocks joined. Empty when the
 * body is not such an answer (an error, another endpoint's answer).
 */
export function answerTexts(body: Buffer, format: ClientFormat): string[] {
  let answer: { choices?: unknown; content?: unknown };
  try {
    answer = JSON.parse(body.toString('utf8')) as typeof answer;
  } catch {
    return [];
  }
  if (format === 'openai' && Array.isArray(answer.choices)) {
    return answer.choices.flatMap((choice: { message?: { content?: unknown } }) => (typeof choice?.message?.content === 'string' ? [choice.message.content] : []));
  }
  if (format === 'anthropic' && Array.isArray(answer.content)) {
    const text = answer.content.map((block: { type?: unknown; text?: unknown }) => (block?.type === 'text' && typeof block.text === 'string' ? block.text : '')).join('\n');
    return text.length > 0 ? [text] : [];
  }
  return [];
}
