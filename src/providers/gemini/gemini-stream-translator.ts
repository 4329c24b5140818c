import type { OpenAIErrorBody } from '../../errors.js';
import { SseDecoder, type SseEvent } from '../../streaming/sse-decoder.js';
import { ChatChunkEncoder } from '../../api/openai-chat/chat-chunk-encoder.js';
import type { StreamTranslator, TranslationContext } from '../provider-adapter.js';
import { DeliveredOutput } from '../delivered-output.js';
import type { Usage } from '../usage.js';
import { convertGeminiLogprobs } from './convert-gemini-logprobs.js';
import { generateContentResponseSchema, geminiErrorBodySchema, type GeminiCandidate, type GenerateContentResponse } from './gemini-api.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { readGeminiParts } from './read-gemini-parts.js';
import { synthesizeToolCallId } from './synthesize-tool-call-id.js';
import { openAIErrorFromGemini } from './to-openai-error.js';
import { usageFromGemini } from './usage-from-gemini.js';
import { unreadableStreamEvent as unreadable } from '../unreadable-upstream.js';

const EMPTY = Buffer.alloc(0);

/** What one SSE event from `:streamGenerateContent?alt=sse` turned out to be. */
type GeminiStreamEvent =
  | { kind: 'response'; response: GenerateContentResponse }
  | { kind: 'error'; body: OpenAIErrorBody }
  | { kind: 'ignored' };

interface ChoiceState {
  /** OpenAI numbers tool calls per choice from 0. */
  toolCallCount: number;
  finishReason: string | undefined;
}

/**
 * Gemini's stream (`:streamGenerateContent?alt=sse`, https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent)
 * as OpenAI chat.completion.chunk events. Each Gemini event is a whole
 * GenerateContentResponse holding only the new parts; usageMetadata on every event is the
 * running total (keep the last); there is no terminator: the stream ends when the
 * connection closes.
 *
 * Emission:
 * - Each candidate's first appearance yields OpenAI's opening delta
 *   `{"role":"assistant","content":""}`; text and function calls are sent as they arrive,
 *   one chunk per candidate per Gemini event.
 * - A function call arrives whole, so it becomes one tool_calls delta carrying the id
 *   (synthesized, see synthesizeToolCallId), the name and all arguments.
 * - The finish chunks, the usage chunk (only if the client asked) and `[DONE]` are held
 *   until the upstream ends: the finishReason can come before the last usage total, and
 *   OpenAI puts usage after every finish chunk. If no finishReason was seen the stream was
 *   cut off, and no `[DONE]` is sent, so the client can tell.
 * - An error event (`{"error":{...}}`, Gemini's way of failing mid-stream) becomes OpenAI's
 *   `data: {"error":{...}}` (openai-node raises it) and nothing is sent after it.
 * - Thought parts are `delta.reasoning_content`, never `content` (see readGeminiParts).
 * - `complete` is true once the upstream ended with a finishReason (or a blocked prompt);
 *   otherwise `delivered` holds the text, reasoning and function calls sent, for counting
 *   (Gemini's usageMetadata running totals may lag what was sent, or never come).
 */
export class GeminiStreamTranslator implements StreamTranslator {
  readonly #decoder = new SseDecoder();
  readonly #context: TranslationContext;
  readonly #choices = new Map<number, ChoiceState>();
  #callNumber = 0;
  #promptBlocked = false;
  #failed = false;
  #usage: Usage | undefined;
  /** Writes the OpenAI chunks; it holds the model version Gemini named, once it has. */
  readonly #encoder: ChatChunkEncoder;
  #complete = false;
  readonly #delivered = new DeliveredOutput();

  constructor(context: TranslationContext) {
    this.#context = context;
    this.#encoder = new ChatChunkEncoder(context.responseId, context.created, context.model);
  }

  get usage(): Usage | undefined {
    return this.#usage;
  }

  get model(): string | undefined {
    return this.#encoder.model;
  }

  get complete(): boolean {
    return this.#complete;
  }

  get delivered(): DeliveredOutput {
    return this.#delivered;
  }

  push(chunk: Buffer): Buffer {
    if (this.#failed) return EMPTY;
    return toBuffer(this.#translate(this.#decoder.push(chunk)));
  }

  end(): Buffer {
    if (this.#failed) return EMPTY;
    let out = this.#translate(this.#decoder.end());
    if (!this.#failed) out += this.#finish();
    return toBuffer(out);
  }

  #translate(events: SseEvent[]): string {
    let out = '';
    for (const event of events) {
      if (this.#failed) break;
      out += this.#handle(classify(event.data));
    }
    return out;
  }

  #handle(event: GeminiStreamEvent): string {
    switch (event.kind) {
      case 'response':
        return this.#response(event.response);
      case 'error':
        this.#failed = true;
        return this.#encoder.error(event.body);
      case 'ignored':
        return '';
      default: {
        const unhandled: never = event;
        return unhandled;
      }
    }
  }

  #response(response: GenerateContentResponse): string {
    if (response.modelVersion) this.#encoder.model = response.modelVersion;
    if (response.usageMetadata) this.#usage = usageFromGemini(response.usageMetadata);
    const candidates = response.candidates ?? [];
    if (candidates.length === 0 && response.promptFeedback?.blockReason) this.#promptBlocked = true;
    let out = '';
    candidates.forEach((candidate, position) => {
      out += this.#candidate(candidate, candidate.index ?? position);
    });
    return out;
  }

  #candidate(candidate: GeminiCandidate, index: number): string {
    let out = '';
    const known = this.#choices.get(index);
    const state: ChoiceState = known ?? { toolCallCount: 0, finishReason: undefined };
    if (!known) {
      this.#choices.set(index, state);
      out += this.#chunk(index, { role: 'assistant', content: '' }, null);
    }
    const reply = readGeminiParts(candidate.content?.parts);
    const delta: Record<string, unknown> = {};
    if (reply.reasoning) delta.reasoning_content = reply.reasoning;
    if (reply.text) delta.content = reply.text;
    this.#delivered.addReasoning(reply.reasoning);
    this.#delivered.addText(reply.text);
    if (reply.functionCalls.length > 0) {
      delta.tool_calls = reply.functionCalls.map((functionCall) => {
        const name = functionCall.name;
        const args = JSON.stringify(functionCall.args ?? {});
        this.#delivered.addText(name);
        this.#delivered.addText(args);
        return { index: state.toolCallCount++, id: synthesizeToolCallId(this.#context.responseId, this.#callNumber++, functionCall.id), type: 'function', function: { name, arguments: args } };
      });
    }
    if (Object.keys(delta).length > 0) out += this.#chunk(index, delta, null, convertGeminiLogprobs(candidate.logprobsResult));
    if (candidate.finishReason) state.finishReason = candidate.finishReason;
    return out;
  }

  /** What is owed once the upstream has closed: finish chunks, usage, [DONE]. */
  #finish(): string {
    let out = '';
    if (this.#promptBlocked && this.#choices.size === 0) {
      // The prompt was refused before any candidate: one empty choice finished by the filter.
      out += this.#chunk(0, { role: 'assistant', content: '' }, null);
      out += this.#chunk(0, {}, 'content_filter');
    }
    const finished = [...this.#choices.entries()].filter(([, state]) => state.finishReason !== undefined).sort(([left], [right]) => left - right);
    for (const [index, state] of finished) out += this.#chunk(index, {}, mapGeminiFinishReason(state.finishReason, state.toolCallCount > 0));
    if (out === '') return '';
    this.#complete = true;
    if (this.#context.includeUsage && this.#usage) out += this.#encoder.usageChunk(this.#usage);
    return out + this.#encoder.done();
  }

  #chunk(index: number, delta: Record<string, unknown>, finishReason: string | null, logprobs: Record<string, unknown> | null = null): string {
    return this.#encoder.chunk(index, delta, finishReason, logprobs);
  }
}

/** One SSE event's data, read as Gemini sends it. Data that is not a response is a broken stream, reported as an error. */
function classify(data: string): GeminiStreamEvent {
  if (data.trim() === '') return { kind: 'ignored' };
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { kind: 'error', body: unreadable() };
  }
  if (value !== null && typeof value === 'object' && 'error' in value) {
    const error = geminiErrorBodySchema.safeParse(value);
    if (error.success) return { kind: 'error', body: openAIErrorFromGemini(error.data.error, error.data.error.code ?? 500) };
    return { kind: 'error', body: unreadable() };
  }
  const response = generateContentResponseSchema.safeParse(value);
  return response.success ? { kind: 'response', response: response.data } : { kind: 'error', body: unreadable() };
}


function toBuffer(text: string): Buffer {
  return text ? Buffer.from(text, 'utf8') : EMPTY;
}
