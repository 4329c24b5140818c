import type { Completion } from '../model/completion.js';
import type { StreamPart } from '../model/stream-part.js';

/** Characters of text per replayed delta: a stream of several chunks, as a provider's would be, without one event per character. */
const TEXT_CHUNK_CHARACTERS = 64;

/**
 * A whole completion as the stream parts a provider reader would have produced for it (see
 * StreamPart for the order): start; per choice its blocks in order (text and reasoning in
 * deltas of up to 64 characters, a tool call as start, its arguments, end), its log
 * probabilities; then the usage; then each choice's finish. The client's stream writer
 * encodes them, so a replayed answer is the same well-formed stream a live one is.
 */
export function completionToParts(completion: Completion): StreamPart[] {
  const parts: StreamPart[] = [{ type: 'start', id: completion.id, model: completion.model }];
  for (const choice of completion.choices) {
    const index = choice.index;
    let callIndex = 0;
    for (const block of choice.content) {
      switch (block.type) {
        case 'text':
          for (const text of pieces(block.text)) parts.push({ type: 'text-delta', choice: index, text });
          break;
        case 'reasoning':
          for (const text of pieces(block.text)) parts.push({ type: 'reasoning-delta', choice: index, text });
          if (block.signature !== undefined) parts.push({ type: 'reasoning-signature', choice: index, signature: block.signature });
          break;
        case 'redacted-reasoning':
          parts.push({ type: 'redacted-reasoning', choice: index, data: block.data });
          break;
        case 'tool-call': {
          const call = callIndex++;
          parts.push({ type: 'tool-call-start', choice: index, index: call, id: block.id, name: block.name });
          if (block.arguments !== '') parts.push({ type: 'tool-call-delta', choice: index, index: call, argumentsDelta: block.arguments });
          parts.push({ type: 'tool-call-end', choice: index, index: call });
          break;
        }
        default: {
          const unhandled: never = block;
          return unhandled;
        }
      }
    }
    if (choice.logprobs !== undefined && choice.logprobs.length > 0) parts.push({ type: 'logprobs', choice: index, logprobs: choice.logprobs });
  }
  if (completion.usage !== undefined) parts.push({ type: 'usage', usage: completion.usage });
  for (const choice of completion.choices) parts.push({ type: 'finish', choice: choice.index, reason: choice.finishReason, stopSequence: choice.stopSequence });
  return parts;
}

/** The text in pieces of up to TEXT_CHUNK_CHARACTERS code points (never splitting a surrogate pair). */
function pieces(text: string): string[] {
  if (text.length <= TEXT_CHUNK_CHARACTERS) return text === '' ? [] : [text];
  const points = Array.from(text);
  const out: string[] = [];
  for (let at = 0; at < points.length; at += TEXT_CHUNK_CHARACTERS) out.push(points.slice(at, at + TEXT_CHUNK_CHARACTERS).join(''));
  return out;
}
