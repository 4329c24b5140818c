import type { FinishReason } from './finish-reason.js';
import type { TokenLogprob } from './token-logprob.js';
import type { UpstreamFailure } from './upstream-failure.js';
import type { Usage } from './usage.js';

/**
 * The one vocabulary between provider stream readers and client stream writers (after
 * vercel/ai's LanguageModelV2StreamPart): each provider's reader turns its event stream into
 * these parts, and each client format's writer encodes them. Four readers and two writers
 * instead of one translator per pair. When the client's format is the provider's own, bytes
 * pass through untouched and no parts are made at all.
 *
 * Order: `start` first; then content parts, each content block's parts contiguous (a tool
 * call's `tool-call-start`, its deltas, then `tool-call-end`); `usage` whenever the provider
 * reports it (each value cumulative: the latest wins); `finish` once per choice at the end,
 * after the last usage (readers hold it back when a provider reports usage later); or
 * `error` instead of `finish`, after which nothing follows. A stream that just stops has neither:
 * it was cut off, and writers must not pretend otherwise.
 *
 * `choice` is the alternative a part belongs to when the client asked for several (OpenAI's
 * n, Gemini's candidateCount); absent means 0. Parts of different choices may interleave.
 */
export type StreamPart =
  | StartPart
  | TextDeltaPart
  | ReasoningDeltaPart
  | ReasoningSignaturePart
  | RedactedReasoningPart
  | ToolCallStartPart
  | ToolCallDeltaPart
  | ToolCallEndPart
  | UsagePart
  | LogprobsPart
  | FinishPart
  | ErrorPart;

export interface StartPart {
  type: 'start';
  /** The provider's id for the response, when it gives one (writers may use their own). */
  id?: string | undefined;
  /** The model the provider says is answering. */
  model?: string | undefined;
}

export interface TextDeltaPart {
  choice?: number | undefined;
  type: 'text-delta';
  text: string;
}

/** Visible reasoning ("thinking") text. */
export interface ReasoningDeltaPart {
  choice?: number | undefined;
  type: 'reasoning-delta';
  text: string;
}

/** Anthropic's signature over the thinking just streamed; a client must send it back with the thinking block. */
export interface ReasoningSignaturePart {
  choice?: number | undefined;
  type: 'reasoning-signature';
  signature: string;
}

/** Reasoning the provider returns only encrypted (Anthropic redacted_thinking); passed back verbatim. */
export interface RedactedReasoningPart {
  choice?: number | undefined;
  type: 'redacted-reasoning';
  data: string;
}

export interface ToolCallStartPart {
  choice?: number | undefined;
  type: 'tool-call-start';
  /** 0, 1, 2 ... in the order the calls started: the OpenAI tool_calls index. */
  index: number;
  id: string;
  name: string;
}

/** A fragment of the call's JSON arguments; the fragments concatenated are the arguments. */
export interface ToolCallDeltaPart {
  choice?: number | undefined;
  type: 'tool-call-delta';
  index: number;
  argumentsDelta: string;
}

export interface ToolCallEndPart {
  choice?: number | undefined;
  type: 'tool-call-end';
  index: number;
}

/** Log probabilities of the tokens just streamed for a choice. */
export interface LogprobsPart {
  type: 'logprobs';
  choice?: number | undefined;
  logprobs: TokenLogprob[];
}

export interface UsagePart {
  type: 'usage';
  usage: Usage;
}

export interface FinishPart {
  choice?: number | undefined;
  type: 'finish';
  reason: FinishReason;
  /** The stop sequence that ended the generation, when the provider says which. */
  stopSequence?: string | undefined;
}

/** The provider failed mid-stream (after its 200): the client must see a failure, not a finished reply. */
export interface ErrorPart {
  type: 'error';
  failure: UpstreamFailure;
}
