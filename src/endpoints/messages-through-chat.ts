import type { DeliveredOutput } from '../providers/delivered-output.js';
import { anthropicErrorBody } from '../api/anthropic-messages/anthropic-error-body.js';
import { MessagesStreamWriter } from '../api/anthropic-messages/messages-stream-writer.js';
import { writeMessage, type MessageContext } from '../api/anthropic-messages/write-message.js';
import { OpenAIChatStreamReader } from '../providers/openai/openai-chat-stream-reader.js';
import { readOpenAICompletion } from '../providers/openai/read-openai-completion.js';
import { readOpenAIFailure } from '../providers/openai/read-openai-failure.js';
import { parseJsonObject } from '../providers/parse-json.js';
import type { ProviderAdapter, StreamTranslator, TranslatedResponse, TranslationContext, UpstreamResponse } from '../providers/provider-adapter.js';
import type { Usage } from '../providers/usage.js';
import type { ResponseHandling } from './endpoint.js';

/**
 * An Anthropic Messages client served by a provider that is not Anthropic: the provider's
 * adapter turns its answer into OpenAI Chat Completions form (nothing to do for an
 * OpenAI-compatible one), the OpenAI readers turn that into neutral parts, and the Anthropic
 * writers encode them. Usage and the served model are the adapter's, read from the
 * provider's own answer. A provider error keeps its status and gets Anthropic's error body.
 */
export function messagesThroughChat(adapter: ProviderAdapter): Required<Omit<ResponseHandling, 'passesSuccessThrough'>> {
  return {
    translateResponse(response: UpstreamResponse, context: TranslationContext): TranslatedResponse {
      const chat = adapter.translateResponse(response, { ...context, includeUsage: true });
      const body = parseJsonObject(chat.body ?? response.body);
      if (response.status >= 400) {
        const failure = readOpenAIFailure(response.status, body ?? (chat.body ?? response.body).toString('utf8'));
        return { ...chat, body: json(anthropicErrorBody(failure)), headers: { 'content-type': 'application/json' } };
      }
      const completion = body === undefined ? undefined : readOpenAICompletion(body);
      if (completion === undefined) {
        const failure = { status: 502, kind: 'server' as const, message: 'The upstream provider sent an answer the gateway could not read.' };
        return { ...chat, body: json(anthropicErrorBody(failure)), headers: { 'content-type': 'application/json' } };
      }
      const message = writeMessage(completion, messageContext(context));
      return { ...chat, body: json(message), headers: { 'content-type': 'application/json' } };
    },

    createStreamTranslator(context: TranslationContext): StreamTranslator {
      return new MessagesStreamThroughChat(adapter.createStreamTranslator({ ...context, includeUsage: true }), messageContext(context));
    },
  };
}

function messageContext(context: TranslationContext): MessageContext {
  return { id: context.responseId, model: context.model };
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** provider stream -> (adapter) OpenAI chunks -> (reader) parts -> (writer) Anthropic events. */
class MessagesStreamThroughChat implements StreamTranslator {
  readonly #chat: StreamTranslator;
  readonly #reader = new OpenAIChatStreamReader();
  readonly #writer: MessagesStreamWriter;

  constructor(chat: StreamTranslator, context: MessageContext) {
    this.#chat = chat;
    this.#writer = new MessagesStreamWriter(context);
  }

  get usage(): Usage | undefined {
    return this.#chat.usage;
  }

  get model(): string | undefined {
    return this.#chat.model;
  }

  get complete(): boolean {
    return this.#chat.complete;
  }

  get delivered(): DeliveredOutput | undefined {
    return this.#chat.delivered;
  }

  push(chunk: Buffer): Buffer {
    const chat = this.#chat.push(chunk);
    return chat.length === 0 ? EMPTY : Buffer.from(this.#writer.write(this.#reader.push(chat)));
  }

  end(): Buffer {
    const tail = this.#chat.end();
    let out = tail.length > 0 ? this.#writer.write(this.#reader.push(tail)) : '';
    out += this.#writer.write(this.#reader.end());
    return out === '' ? EMPTY : Buffer.from(out);
  }
}

const EMPTY = Buffer.alloc(0);
