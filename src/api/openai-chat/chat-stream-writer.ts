import type { StreamPart } from '../../model/stream-part.js';
import type { TokenLogprob } from '../../model/token-logprob.js';
import type { Usage } from '../../model/usage.js';
import { ChatChunkEncoder } from './chat-chunk-encoder.js';
import { openAIErrorBodyOfFailure } from './openai-error-body.js';
import { toOpenAIFinishReason } from './openai-finish-reason.js';

export interface ChatStreamContext {
  /** The chunks' id ("chatcmpl-..."): one per response, the gateway's own for translated streams. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** Reported until the provider names the model that answers. */
  model: string;
  /** The client asked for the usage chunk (stream_options.include_usage). */
  includeUsage: boolean;
}

interface ChoiceState {
  /** The opening role delta was sent. */
  opened: boolean;
  /** Tool calls started, by index, and whether any arguments were sent for each. */
  readonly argumentsSent: Map<number, boolean>;
  finished: boolean;
}

/**
 * Neutral stream parts as OpenAI `chat.completion.chunk` server-sent events
 * (openai-openapi `CreateChatCompletionStreamResponse`), the way OpenAI itself streams:
 * - every chunk carries the same id, object, created and model;
 * - each choice opens with `{"role":"assistant","content":""}` before anything else of it;
 * - text is `delta.content`, reasoning `delta.reasoning_content` (the field DeepSeek and
 *   LiteLLM use; OpenAI's Chat Completions has none, and reasoning must not leak into the answer);
 * - a tool call starts with its id, type, name and empty arguments, then argument fragments,
 *   all under the call's index; a call that ends without any arguments gets "{}", so the
 *   client always has JSON to parse;
 * - log probabilities ride on the chunk of the content they belong to;
 * - each choice ends with an empty delta and its finish_reason; then, once the upstream has
 *   ended, the usage chunk (`choices: []`, only when the client asked) and `data: [DONE]`;
 * - a provider error becomes `data: {"error":{...}}`, which openai-node raises, and nothing
 *   follows it, not even [DONE]: the client must see a failure, not a finished reply;
 * - a stream cut off before it finished gets no finish chunk and no [DONE], so the client can tell.
 */
export class ChatStreamWriter {
  readonly #context: ChatStreamContext;
  readonly #choices = new Map<number, ChoiceState>();
  /** Writes the chunks' envelope; it holds the model the provider named, once it has. */
  readonly #encoder: ChatChunkEncoder;
  #usage: Usage | undefined;
  #failed = false;

  constructor(context: ChatStreamContext) {
    this.#context = context;
    this.#encoder = new ChatChunkEncoder(context.id, context.created, context.model);
  }

  /** The latest usage the parts reported. */
  get usage(): Usage | undefined {
    return this.#usage;
  }

  /** The model the provider named, once it has. */
  get model(): string | undefined {
    return this.#encoder.model;
  }

  /** Encodes parts as they come from a provider reader; returns the SSE text to send (often empty). */
  write(parts: readonly StreamPart[]): string {
    let out = '';
    for (let at = 0; at < parts.length && !this.#failed; at += 1) {
      const part = parts[at]!;
      // Log probabilities of this content, when the reader put them right after it.
      const next = parts[at + 1];
      const logprobs = next?.type === 'logprobs' && (next.choice ?? 0) === ('choice' in part ? (part.choice ?? 0) : 0) ? next.logprobs : undefined;
      const written = this.#part(part, logprobs);
      if (written.usedLogprobs) at += 1;
      out += written.text;
    }
    return out;
  }

  /** The upstream ended: what is still owed (usage and [DONE] after a finished stream; nothing after a cut-off or failed one). */
  end(): string {
    if (this.#failed || this.#choices.size === 0) return '';
    for (const choice of this.#choices.values()) if (!choice.finished) return '';
    let out = '';
    if (this.#context.includeUsage && this.#usage) out += this.#encoder.usageChunk(this.#usage);
    return out + this.#encoder.done();
  }

  #part(part: StreamPart, logprobs: TokenLogprob[] | undefined): { text: string; usedLogprobs: boolean } {
    const none = { text: '', usedLogprobs: false };
    switch (part.type) {
      case 'start':
        if (part.model) this.#encoder.model = part.model;
        return none;
      case 'usage':
        this.#usage = part.usage;
        return none;
      case 'text-delta':
        return { text: this.#delta(part.choice, { content: part.text }, logprobs), usedLogprobs: logprobs !== undefined };
      case 'reasoning-delta':
        return { text: this.#delta(part.choice, { reasoning_content: part.text }, logprobs), usedLogprobs: logprobs !== undefined };
      case 'reasoning-signature':
      case 'redacted-reasoning':
        // OpenAI's format has no place for either; they matter only to a client sending Anthropic thinking back.
        return none;
      case 'tool-call-start': {
        this.#choice(part.choice).argumentsSent.set(part.index, false);
        const call = { index: part.index, id: part.id, type: 'function', function: { name: part.name, arguments: '' } };
        return { text: this.#delta(part.choice, { tool_calls: [call] }, undefined), usedLogprobs: false };
      }
      case 'tool-call-delta': {
        if (part.argumentsDelta === '') return none;
        this.#choice(part.choice).argumentsSent.set(part.index, true);
        return { text: this.#delta(part.choice, { tool_calls: [{ index: part.index, function: { arguments: part.argumentsDelta } }] }, undefined), usedLogprobs: false };
      }
      case 'tool-call-end': {
        const sent = this.#choice(part.choice).argumentsSent;
        if (sent.get(part.index) !== false) return none;
        sent.set(part.index, true);
        return { text: this.#delta(part.choice, { tool_calls: [{ index: part.index, function: { arguments: '{}' } }] }, undefined), usedLogprobs: false };
      }
      case 'logprobs':
        return { text: this.#delta(part.choice, {}, part.logprobs), usedLogprobs: false };
      case 'finish': {
        const opening = this.#open(part.choice);
        this.#choice(part.choice).finished = true;
        return { text: opening + this.#chunk(part.choice ?? 0, {}, toOpenAIFinishReason(part.reason), undefined), usedLogprobs: false };
      }
      case 'error':
        this.#failed = true;
        return { text: this.#encoder.error(openAIErrorBodyOfFailure(part.failure)), usedLogprobs: false };
      default: {
        const unhandled: never = part;
        return unhandled;
      }
    }
  }

  /** A content chunk for a choice, after its opening role delta if it has not had one. */
  #delta(choice: number | undefined, delta: Record<string, unknown>, logprobs: TokenLogprob[] | undefined): string {
    return this.#open(choice) + this.#chunk(choice ?? 0, delta, null, logprobs);
  }

  #open(choice: number | undefined): string {
    const state = this.#choice(choice);
    if (state.opened) return '';
    state.opened = true;
    return this.#chunk(choice ?? 0, { role: 'assistant', content: '' }, null, undefined);
  }

  #choice(choice: number | undefined): ChoiceState {
    const index = choice ?? 0;
    let state = this.#choices.get(index);
    if (state === undefined) {
      state = { opened: false, argumentsSent: new Map(), finished: false };
      this.#choices.set(index, state);
    }
    return state;
  }

  #chunk(index: number, delta: Record<string, unknown>, finishReason: string | null, logprobs: TokenLogprob[] | undefined): string {
    return this.#encoder.chunk(index, delta, finishReason, logprobs === undefined ? null : { content: logprobs, refusal: null });
  }
}
