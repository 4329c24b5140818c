import type { Completion, CompletionChoice, ContentBlock } from '../model/completion.js';
import type { StreamPart } from '../model/stream-part.js';
import type { TokenLogprob } from '../model/token-logprob.js';
import type { Usage } from '../model/usage.js';

interface ChoiceBuilder {
  content: ContentBlock[];
  /** Tool-call blocks by the call's stream index. */
  calls: Map<number, Extract<ContentBlock, { type: 'tool-call' }>>;
  logprobs: TokenLogprob[];
  finish: Extract<StreamPart, { type: 'finish' }> | undefined;
}

/**
 * Stream parts assembled back into one Completion, for storing a streamed answer. Adjacent
 * deltas of one kind join one block; a tool call is one block with its arguments joined.
 * `completion()` is undefined unless the stream finished every choice without an error: a
 * cut-off or failed stream is never an answer to keep.
 */
export class CompletionAssembler {
  readonly #choices = new Map<number, ChoiceBuilder>();
  #id: string | undefined;
  #model: string | undefined;
  #usage: Usage | undefined;
  #failed = false;

  push(parts: readonly StreamPart[]): void {
    for (const part of parts) this.#push(part);
  }

  /** The assembled answer; `usage` stands in when the parts carried none (a client that did not ask for the usage chunk). */
  completion(usage?: Usage): Completion | undefined {
    if (this.#failed || this.#choices.size === 0) return undefined;
    const choices: CompletionChoice[] = [];
    for (const [index, builder] of [...this.#choices].sort(([a], [b]) => a - b)) {
      if (builder.finish === undefined) return undefined;
      choices.push({
        index,
        content: builder.content,
        finishReason: builder.finish.reason,
        stopSequence: builder.finish.stopSequence,
        logprobs: builder.logprobs.length > 0 ? builder.logprobs : undefined,
      });
    }
    return { id: this.#id, model: this.#model, choices, usage: this.#usage ?? usage };
  }

  #push(part: StreamPart): void {
    switch (part.type) {
      case 'start':
        this.#id = part.id;
        this.#model = part.model;
        return;
      case 'usage':
        this.#usage = part.usage;
        return;
      case 'error':
        this.#failed = true;
        return;
      case 'text-delta':
      case 'reasoning-delta': {
        const content = this.#choice(part.choice).content;
        const kind = part.type === 'text-delta' ? 'text' : 'reasoning';
        const last = content.at(-1);
        if (last !== undefined && last.type === kind && !(last.type === 'reasoning' && last.signature !== undefined)) last.text += part.text;
        else content.push({ type: kind, text: part.text });
        return;
      }
      case 'reasoning-signature': {
        const last = this.#choice(part.choice).content.at(-1);
        if (last?.type === 'reasoning') last.signature = part.signature;
        else this.#choice(part.choice).content.push({ type: 'reasoning', text: '', signature: part.signature });
        return;
      }
      case 'redacted-reasoning':
        this.#choice(part.choice).content.push({ type: 'redacted-reasoning', data: part.data });
        return;
      case 'tool-call-start': {
        const builder = this.#choice(part.choice);
        const block = { type: 'tool-call' as const, id: part.id, name: part.name, arguments: '' };
        builder.calls.set(part.index, block);
        builder.content.push(block);
        return;
      }
      case 'tool-call-delta': {
        const block = this.#choice(part.choice).calls.get(part.index);
        if (block !== undefined) block.arguments += part.argumentsDelta;
        return;
      }
      case 'tool-call-end':
        return;
      case 'logprobs':
        this.#choice(part.choice).logprobs.push(...part.logprobs);
        return;
      case 'finish':
        this.#choice(part.choice).finish = part;
        return;
      default:
        // Exhaustive: a new variant is a compile error here.
        part satisfies never;
    }
  }

  #choice(choice: number | undefined): ChoiceBuilder {
    const index = choice ?? 0;
    let builder = this.#choices.get(index);
    if (builder === undefined) {
      builder = { content: [], calls: new Map(), logprobs: [], finish: undefined };
      this.#choices.set(index, builder);
    }
    return builder;
  }
}
