/**
 * What a Claude model accepts, where models differ in ways a translation must respect.
 * Sources: extended thinking (https://docs.claude.com/en/docs/build-with-claude/extended-thinking),
 * adaptive thinking and effort (https://docs.claude.com/en/docs/build-with-claude/adaptive-thinking,
 * https://docs.claude.com/en/docs/build-with-claude/effort), the Claude 4.6 migration guide
 * (prefill removed), and anthropic-sdk-typescript src/resources/messages/messages.ts
 * (`temperature`, `top_p`, `top_k`: "Models released after Claude Opus 4.6 do not support ...").
 */
export interface AnthropicModelTraits {
  /**
   * How the model takes a thinking setting:
   * - `none`: it does not think (Claude 3 and 3.5);
   * - `budget`: `thinking: {type: "enabled", budget_tokens}` (Claude 3.7 to 4.5);
   * - `adaptive`: `thinking: {type: "adaptive"}` with `output_config.effort`, or `{type: "disabled"}`;
   * - `adaptive-only`: adaptive, and "disabled" is refused;
   * - `unknown`: a name this table does not know (an operator's alias).
   */
  readonly thinking: 'none' | 'budget' | 'adaptive' | 'adaptive-only' | 'unknown';
  /** The `output_config.effort` levels the model takes, for adaptive thinking. */
  readonly effortLevels: readonly string[];
  /** Temperature other than 1, top_p below 0.99 and any top_k are refused (models released after Opus 4.6). */
  readonly fixedSampling: boolean;
  /** Whether a conversation may end with an assistant message, which Anthropic reads as a prefill (not from Claude 4.6 on). */
  readonly prefill: boolean;
}

const EFFORT_4_6 = ['low', 'medium', 'high', 'max'] as const;
const EFFORT_LATEST = ['low', 'medium', 'high', 'xhigh', 'max'] as const;

const NO_THINKING: AnthropicModelTraits = { thinking: 'none', effortLevels: [], fixedSampling: false, prefill: true };
const BUDGET: AnthropicModelTraits = { thinking: 'budget', effortLevels: [], fixedSampling: false, prefill: true };
const UNKNOWN: AnthropicModelTraits = { thinking: 'unknown', effortLevels: [], fixedSampling: false, prefill: true };

/**
 * Model name patterns, matched anywhere in the name (so Bedrock and Vertex ids match too);
 * first match wins, more specific patterns first.
 */
const TRAITS: ReadonlyArray<readonly [pattern: RegExp, traits: AnthropicModelTraits]> = [
  [/claude-3-(haiku|sonnet|opus)|claude-3-5-/, NO_THINKING],
  [/claude-3-7-sonnet/, BUDGET],
  // Opus 4.6 and Sonnet 4.6: adaptive thinking with effort; budget_tokens is deprecated there, prefill is gone.
  [/claude-(opus|sonnet)-4-6(?!\d)/, { thinking: 'adaptive', effortLevels: EFFORT_4_6, fixedSampling: false, prefill: false }],
  [/claude-opus-4-[7-9](?!\d)/, { thinking: 'adaptive', effortLevels: EFFORT_LATEST, fixedSampling: true, prefill: false }],
  [/claude-mythos-preview/, { thinking: 'adaptive-only', effortLevels: EFFORT_4_6, fixedSampling: true, prefill: false }],
  [/claude-(fable|mythos)-/, { thinking: 'adaptive-only', effortLevels: EFFORT_LATEST, fixedSampling: true, prefill: false }],
  // Opus 4.5, Sonnet 4.5, Haiku 4.5; then Opus 4, 4.1 and Sonnet 4.
  [/claude-(opus|sonnet|haiku)-4-5(?!\d)/, BUDGET],
  [/claude-(opus|sonnet)-4(?!\d)/, BUDGET],
  // A later generation (claude-opus-5, claude-sonnet-5, ...): adaptive, as every model since 4.6.
  [/claude-[a-z]+-([5-9]|\d\d)(?!\d)/, { thinking: 'adaptive', effortLevels: EFFORT_LATEST, fixedSampling: true, prefill: false }],
];

export function anthropicModelTraits(model: string): AnthropicModelTraits {
  const name = model.toLowerCase();
  for (const [pattern, traits] of TRAITS) if (pattern.test(name)) return traits;
  return UNKNOWN;
}
