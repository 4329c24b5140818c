/** One guardrail's decision on one request, for the metric and the log line (never the matched text). */
export interface GuardrailDecision {
  readonly guardrail: string;
  readonly detector: string;
  /** What was done: blocked, masked, redacted, logged (a finding let through), cut (an answer ended) or unavailable (a fail-open analyser did not answer). */
  readonly action: 'blocked' | 'masked' | 'redacted' | 'logged' | 'cut' | 'unavailable';
  /** input: the request; output: the answer. */
  readonly stage: 'input' | 'output';
  /** How many values the guardrail found. */
  readonly count: number;
}

/** Where guardrail decisions and timings go (metrics and logs, wired in src/main.ts). */
export interface GuardrailObserver {
  decided(decision: GuardrailDecision, request: { requestId: string; keyAlias: string | undefined }): void;
  /** Seconds one stage of guardrails took on one request (input), or on one answer (output; a stream's chunks summed, at its end). */
  timed(stage: 'input' | 'output', seconds: number): void;
}
