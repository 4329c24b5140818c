import { MessagesStreamWriter } from '../api/anthropic-messages/messages-stream-writer.js';
import { writeMessage } from '../api/anthropic-messages/write-message.js';
import { ChatStreamWriter } from '../api/openai-chat/chat-stream-writer.js';
import { writeChatCompletion } from '../api/openai-chat/write-chat-completion.js';
import type { ClientFormat } from '../endpoints/endpoint.js';
import type { Completion } from '../model/completion.js';
import type { CachedAnswer } from './cached-answer.js';
import { completionToParts } from './completion-stream-parts.js';

export interface ReplayContext {
  format: ClientFormat;
  stream: boolean;
  /** A streaming OpenAI client asked for the usage chunk (stream_options.include_usage). */
  includeUsage: boolean;
  /** The answer's id ("chatcmpl-...", "msg_..."): this request's, not the stored one's. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The model to name when the stored answer names none. */
  model: string;
}

/**
 * A stored completion as this client's answer, written by the same writers a translated
 * provider answer goes through: a JSON body (OpenAI `chat.completion`, Anthropic `Message`)
 * or a whole event stream (OpenAI chunks: role, content, finish_reason, usage only when
 * asked for, [DONE]; Anthropic: message_start ... message_stop).
 */
export function replayCachedAnswer(completion: Completion, context: ReplayContext): { body: Buffer; contentType: string } {
  if (!context.stream) {
    const json =
      context.format === 'anthropic'
        ? writeMessage(completion, { id: context.id, model: context.model })
        : writeChatCompletion(completion, { id: context.id, created: context.created, model: context.model });
    return { body: Buffer.from(JSON.stringify(json)), contentType: 'application/json' };
  }
  const parts = completionToParts(completion);
  let text: string;
  if (context.format === 'anthropic') {
    text = new MessagesStreamWriter({ id: context.id, model: context.model }).write(parts);
  } else {
    const writer = new ChatStreamWriter({ id: context.id, created: context.created, model: context.model, includeUsage: context.includeUsage });
    text = writer.write(parts) + writer.end();
  }
  return { body: Buffer.from(text), contentType: 'text/event-stream; charset=utf-8' };
}

/**
 * A stored answer as this client's answer: the body kept verbatim when there is one
 * (embeddings, which never stream), else the completion replayed as replayCachedAnswer does.
 */
export function replayCacheHit(answer: CachedAnswer, context: ReplayContext): { body: Buffer; contentType: string } {
  if (answer.body !== undefined) return { body: Buffer.from(answer.body), contentType: 'application/json' };
  return replayCachedAnswer(answer.completion, context);
}
