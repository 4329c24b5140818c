import type { ClientFormat } from '../endpoints/endpoint.js';
import type { AnswerTextChecker, OutputViolation } from './answer-text-checker.js';
import type { PlaceholderVault } from './placeholder-vault.js';

type Json = Record<string, unknown>;

/**
 * Applies output guardrails to a whole answer in the client's format (a chat completion or
 * an Anthropic message): placeholders restored in its text and tool arguments, deny lists
 * checked on its text. A blocking match empties the answer: OpenAI's choice gets `content:
 * ""` and `finish_reason: "content_filter"`, Anthropic's message no content and `stop_reason:
 * "refusal"`; so does `cut`. Returns the new body, or undefined when nothing changed (or it is not JSON).
 */
export function rewriteAnswerBody(
  body: Buffer,
  format: ClientFormat,
  vault: PlaceholderVault | undefined,
  newChecker: () => AnswerTextChecker,
  onViolation: (violation: OutputViolation) => void,
  /** A moderation model already decided to cut the answer: it is emptied as a blocking match empties it. */
  cut = false,
): Buffer | undefined {
  let answer: Json;
  try {
    answer = JSON.parse(body.toString('utf8')) as Json;
  } catch {
    return undefined;
  }
  const restore = (text: string) => vault?.restore(text) ?? text;
  // Arguments are JSON source: a value with a quote or backslash must come back escaped.
  const restoreJson = (text: string) => vault?.restoreJson(text) ?? text;
  const check = (text: string): boolean => {
    if (cut) return true;
    const checker = newChecker();
    const violations = [...checker.push(text).violations, ...checker.end().violations];
    violations.forEach(onViolation);
    return violations.some((violation) => violation.action === 'block');
  };
  if (format === 'openai' && Array.isArray(answer.choices)) {
    for (const choice of answer.choices as Json[]) {
      const message = choice.message as Json | undefined;
      if (message === undefined) continue;
      if (typeof message.content === 'string') message.content = restore(message.content);
      for (const call of (Array.isArray(message.tool_calls) ? message.tool_calls : []) as Json[]) {
        const fn = call.function as Json | undefined;
        if (fn && typeof fn.arguments === 'string') fn.arguments = restoreJson(fn.arguments);
      }
      if (typeof message.content === 'string' && check(message.content)) {
        message.content = '';
        delete message.tool_calls;
        choice.finish_reason = 'content_filter';
      }
    }
  } else if (format === 'anthropic' && Array.isArray(answer.content)) {
    const blocks = answer.content as Json[];
    for (const block of blocks) {
      if (block.type === 'text' && typeof block.text === 'string') block.text = restore(block.text);
      if (block.type === 'tool_use' && block.input !== undefined) block.input = restoreStrings(block.input, restore);
    }
    const text = blocks.map((block) => (block.type === 'text' && typeof block.text === 'string' ? block.text : '')).join('\n');
    if (check(text)) {
      answer.content = [];
      answer.stop_reason = 'refusal';
      answer.stop_sequence = null;
    }
  } else {
    return undefined;
  }
  return Buffer.from(JSON.stringify(answer));
}

/** `value` with `restore` applied to every string inside it. */
function restoreStrings(value: unknown, restore: (text: string) => string): unknown {
  if (typeof value === 'string') return restore(value);
  if (Array.isArray(value)) return value.map((item) => restoreStrings(item, restore));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, restoreStrings(item, restore)]));
  return value;
}
