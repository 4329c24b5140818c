import type { FinishReason } from '../../model/finish-reason.js';
import type { StreamPart } from '../../model/stream-part.js';
import type { TokenLogprob } from '../../model/token-logprob.js';
import { SseDecoder } from '../../streaming/sse-decoder.js';
import { parseJsonObject } from '../parse-json.js';
import { usageFromOpenAI } from '../usage.js';
import { readOpenAIFailure } from './read-openai-failure.js';

/** A tool call a choice has started and not ended. */
interface OpenToolCall {
  index: number;
}

interface ChoiceState {
  /** The tool call whose deltas are arriving now (OpenAI streams one call's fragments at a time). */
  open: OpenToolCall | undefined;
  /** Indexes of calls already started, so a late fragment of an earlier call is not taken for a new call. */
  readonly started: Set<number>;
}

/**
 * An OpenAI-compatible Chat Completions stream (openai-openapi
 * `CreateChatCompletionStreamResponse`, `data: {chunk}` events ending with `data: [DONE]`)
 * as neutral stream parts, for clients that speak another format (an Anthropic Messages
 * client served by an OpenAI-compatible model). OpenAI clients get the provider's bytes
 * untouched and never come here.
 *
 * - `delta.content`: text; `delta.reasoning_content` (DeepSeek, vLLM) and `delta.reasoning`
 *   (OpenRouter, newer vLLM): reasoning; `delta.refusal`: text (the model's own words declining).
 * - `delta.tool_calls[]`: a fragment with an `id` or a name opens its call (tool-call-start),
 *   argument fragments follow (tool-call-delta); a call ends when another opens or the choice
 *   finishes. A server that repeats the id on every fragment (some do) opens a call once.
 * - `finish_reason` ends the choice; `usage` (in a chunk of its own when stream_options asked
 *   for it, or on the last chunk) is the final count. The finish parts are held until the
 *   usage (or [DONE], or the end) so that usage comes before them, as the part contract asks.
 * - `data: {"error":...}` is an error part.
 * - Anything unreadable is an error part: the client must see a failure, not a shorter answer.
 */
export class OpenAIChatStreamReader {
  readonly #decoder = new SseDecoder();
  readonly #choices = new Map<number, ChoiceState>();
  /** Finish parts held until the usage chunk (or [DONE]) so that, as the part contract says, usage comes first. */
  #finishes: StreamPart[] = [];
  #started = false;
  #failed = false;

  push(chunk: Uint8Array): StreamPart[] {
    return this.#read(this.#decoder.push(chunk));
  }

  end(): StreamPart[] {
    const parts = this.#read(this.#decoder.end());
    this.#flushFinishes(parts);
    return parts;
  }

  #read(events: readonly { data: string }[]): StreamPart[] {
    const parts: StreamPart[] = [];
    for (const event of events) {
      if (this.#failed) break;
      const data = event.data.trim();
      if (data === '') continue;
      if (data === '[DONE]') {
        this.#flushFinishes(parts);
        continue;
      }
      const chunk = parseJsonObject(data);
      if (chunk === undefined) {
        this.#fail(parts, { status: 502, kind: 'server', message: 'The upstream provider sent a stream event the gateway could not read.', code: 'bad_upstream_response' });
        continue;
      }
      if (chunk.error !== undefined) {
        this.#fail(parts, readOpenAIFailure(500, chunk));
        continue;
      }
      this.#chunk(chunk, parts);
    }
    return parts;
  }

  #chunk(chunk: Record<string, unknown>, parts: StreamPart[]): void {
    if (!this.#started) {
      this.#started = true;
      parts.push({ type: 'start', id: typeof chunk.id === 'string' ? chunk.id : undefined, model: typeof chunk.model === 'string' && chunk.model !== '' ? chunk.model : undefined });
    }
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    for (const raw of choices) {
      if (raw === null || typeof raw !== 'object') continue;
      this.#choice(raw as Record<string, unknown>, parts);
    }
    const usage = usageFromOpenAI(chunk.usage);
    if (usage !== undefined) {
      parts.push({ type: 'usage', usage });
      this.#flushFinishes(parts);
    }
  }

  #flushFinishes(parts: StreamPart[]): void {
    if (this.#finishes.length === 0) return;
    parts.push(...this.#finishes);
    this.#finishes = [];
  }

  #choice(choice: Record<string, unknown>, parts: StreamPart[]): void {
    const index = typeof choice.index === 'number' ? choice.index : 0;
    const state = this.#state(index);
    const delta = (choice.delta ?? {}) as Record<string, unknown>;
    const reasoning = typeof delta.reasoning_content === 'string' ? delta.reasoning_content : typeof delta.reasoning === 'string' ? delta.reasoning : undefined;
    if (reasoning) parts.push({ type: 'reasoning-delta', choice: index, text: reasoning });
    if (typeof delta.content === 'string' && delta.content !== '') parts.push({ type: 'text-delta', choice: index, text: delta.content });
    if (typeof delta.refusal === 'string' && delta.refusal !== '') parts.push({ type: 'text-delta', choice: index, text: delta.refusal });
    if (Array.isArray(delta.tool_calls)) for (const call of delta.tool_calls) this.#toolCall(index, state, call as Record<string, unknown>, parts);
    const logprobs = readLogprobs(choice.logprobs);
    if (logprobs) parts.push({ type: 'logprobs', choice: index, logprobs });
    if (typeof choice.finish_reason === 'string') {
      this.#endToolCall(index, state, parts);
      // OpenAI sends the usage after the finish reasons (its own chunk); the finish waits for it.
      this.#finishes.push({ type: 'finish', choice: index, reason: mapOpenAIFinishReason(choice.finish_reason) });
    }
  }

  #toolCall(choice: number, state: ChoiceState, call: Record<string, unknown>, parts: StreamPart[]): void {
    const index = typeof call.index === 'number' ? call.index : 0;
    const fn = (call.function ?? {}) as Record<string, unknown>;
    if (!state.started.has(index)) {
      this.#endToolCall(choice, state, parts);
      state.started.add(index);
      state.open = { index };
      parts.push({ type: 'tool-call-start', choice, index, id: typeof call.id === 'string' ? call.id : `call_${index}`, name: typeof fn.name === 'string' ? fn.name : '' });
    }
    if (typeof fn.arguments === 'string' && fn.arguments !== '') parts.push({ type: 'tool-call-delta', choice, index, argumentsDelta: fn.arguments });
  }

  #endToolCall(choice: number, state: ChoiceState, parts: StreamPart[]): void {
    if (state.open === undefined) return;
    parts.push({ type: 'tool-call-end', choice, index: state.open.index });
    state.open = undefined;
  }

  #state(index: number): ChoiceState {
    let state = this.#choices.get(index);
    if (state === undefined) {
      state = { open: undefined, started: new Set() };
      this.#choices.set(index, state);
    }
    return state;
  }

  #fail(parts: StreamPart[], failure: Parameters<typeof failurePart>[0]): void {
    this.#failed = true;
    parts.push(failurePart(failure));
  }
}

function failurePart(failure: Extract<StreamPart, { type: 'error' }>['failure']): StreamPart {
  return { type: 'error', failure };
}

/**
 * OpenAI's finish_reason in neutral terms: `function_call` is the deprecated form of
 * `tool_calls`; anything else a compatible server invents is taken as a normal stop.
 */
export function mapOpenAIFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** `logprobs.content` of a choice, when it carries any. */
export function readLogprobs(logprobs: unknown): TokenLogprob[] | undefined {
  if (logprobs === null || typeof logprobs !== 'object') return undefined;
  const content = (logprobs as { content?: unknown }).content;
  return Array.isArray(content) && content.length > 0 ? (content as TokenLogprob[]) : undefined;
}
