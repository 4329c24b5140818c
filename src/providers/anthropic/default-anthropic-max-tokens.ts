/**
 * The `max_tokens` sent when the client gave neither max_completion_tokens nor max_tokens.
 * Anthropic requires the field (https://docs.claude.com/en/api/messages, "max_tokens:
 * required"); OpenAI's absent limit means "until the model stops or its output limit", so
 * the faithful default is the model's own maximum output.
 *
 * Values are the "Max output" column of Anthropic's models overview
 * (https://docs.claude.com/en/docs/about-claude/models/overview, and its legacy-models
 * table), without beta headers such as output-128k-2025-02-19. Model names are matched
 * anywhere in the string, so Bedrock ids ("anthropic.claude-sonnet-4-5-20250929-v1:0") and
 * Vertex ids ("claude-3-5-sonnet-v2@20241022") are recognised too. First match wins: more
 * specific patterns come first.
 */
const MAX_OUTPUT_TOKENS: ReadonlyArray<readonly [pattern: RegExp, maxTokens: number]> = [
  // Claude 3 Haiku, Sonnet and Opus.
  [/claude-3-(haiku|sonnet|opus)/, 4096],
  // Claude 3.5 Haiku and Sonnet.
  [/claude-3-5-(haiku|sonnet)/, 8192],
  // Claude 3.7 Sonnet (128K only with a beta header).
  [/claude-3-7-sonnet/, 64000],
  // Claude Opus 4.6 and later 4.x, Sonnet 4.6 and later 4.x: 128K.
  [/claude-(opus|sonnet)-4-([6-9]|\d\d)(?!\d)/, 128000],
  // Claude Opus 4.5, Sonnet 4.5, Haiku 4.5 and later Haiku 4.x.
  [/claude-(opus|sonnet|haiku)-4-[5-9](?!\d)/, 64000],
  // Claude Opus 4 and Opus 4.1 ("claude-opus-4-20250514", "claude-opus-4-0", "claude-opus-4-1").
  [/claude-opus-4(?!\d)/, 32000],
  // Claude Sonnet 4 ("claude-sonnet-4-20250514", "claude-sonnet-4-0").
  [/claude-sonnet-4(?!\d)/, 64000],
  // Names from a later generation than this table (claude-opus-5, ...): every model
  // released since Claude 4.5 accepts at least 64K.
  [/claude-[a-z]+-([5-9]|\d\d)(?!\d)/, 64000],
];

/**
 * A model this table does not know (an alias the operator chose, a fine-tune): 4096, the
 * smallest maximum of any Claude model, so Anthropic never refuses the default as too large.
 */
const FALLBACK_MAX_TOKENS = 4096;

export function defaultAnthropicMaxTokens(model: string): number {
  const name = model.toLowerCase();
  for (const [pattern, maxTokens] of MAX_OUTPUT_TOKENS) if (pattern.test(name)) return maxTokens;
  return FALLBACK_MAX_TOKENS;
}
