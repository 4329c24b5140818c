import type { ChatCompletionRequest } from '../openai/openai-api.js';
import { reasoningBudgetTokens } from '../reasoning-budget-tokens.js';
import { unsupportedParameter as unsupported } from '../translation-errors.js';
import type { AnthropicModelTraits } from './anthropic-model-traits.js';

/** Anthropic's smallest thinking budget ("Must be ≥1024 and less than max_tokens"). */
const MIN_BUDGET_TOKENS = 1024;

export interface AnthropicThinking {
  /** The `thinking` field to send, or undefined for none. */
  readonly thinking: Record<string, unknown> | undefined;
  /** `output_config.effort` to send, or undefined for none. */
  readonly effort: string | undefined;
  /** Whether this request turns thinking on, so that the rules that come with it apply. */
  readonly thinks: boolean;
}

/** The levels a client can ask for; OpenAI's "max" is Anthropic's level of the same name. */
const OPENAI_EFFORTS: ReadonlySet<string> = new Set(['minimal', 'low', 'medium', 'high', 'xhigh', 'max']);

const NO_THINKING: AnthropicThinking = { thinking: undefined, effort: undefined, thinks: false };

/**
 * OpenAI's `reasoning_effort` as Claude's thinking settings, by model (anthropicModelTraits):
 * - Claude 3.7 to 4.5: extended thinking, `{type: "enabled", budget_tokens}` with the budget
 *   of reasoningBudgetTokens, kept below `max_tokens` (which counts thinking, as OpenAI's
 *   max_completion_tokens counts reasoning) and at least 1,024
 *   (https://docs.claude.com/en/docs/build-with-claude/extended-thinking).
 * - Claude 4.6 and later: adaptive thinking, `{type: "adaptive"}` with `output_config.effort`
 *   of the same name (https://docs.claude.com/en/docs/build-with-claude/effort); `minimal`
 *   is the lowest level, `low`; a level the model lacks (`xhigh` on 4.6) is refused.
 * - `none`: `{type: "disabled"}`; on a model that cannot think, nothing; refused on models
 *   that always think (Fable, Mythos).
 * Whatever cannot be honoured is a 400 naming `reasoning_effort` (or the max tokens field
 * that leaves no room for a budget), never a quiet default.
 *
 * @param maxTokens the `max_tokens` being sent; @param maxTokensParam the client's field that set it, if any.
 */
export function convertReasoningEffort(
  effort: ChatCompletionRequest['reasoning_effort'],
  model: string,
  traits: AnthropicModelTraits,
  maxTokens: number,
  maxTokensParam: string | undefined,
): AnthropicThinking {
  if (effort == null) return NO_THINKING;
  if (traits.thinking === 'unknown') {
    throw unsupported('reasoning_effort', `The gateway does not know how ${model} takes a thinking setting, so reasoning_effort cannot be translated for it.`);
  }
  if (effort === 'none') {
    if (traits.thinking === 'none') return NO_THINKING;
    if (traits.thinking === 'adaptive-only') throw unsupported('reasoning_effort', `${model} always thinks; reasoning_effort "none" cannot be honoured.`);
    return { thinking: { type: 'disabled' }, effort: undefined, thinks: false };
  }
  switch (traits.thinking) {
    case 'none':
      throw unsupported('reasoning_effort', `${model} does not think; only reasoning_effort "none" can be honoured.`);
    case 'budget': {
      const budget = Math.min(reasoningBudgetTokens(effort), maxTokens - 1);
      if (budget < MIN_BUDGET_TOKENS) {
        throw unsupported(
          maxTokensParam ?? 'reasoning_effort',
          `Thinking on ${model} needs a budget of at least ${MIN_BUDGET_TOKENS} tokens below max_tokens; raise ${maxTokensParam ?? 'max_completion_tokens'} above ${MIN_BUDGET_TOKENS}.`,
        );
      }
      return { thinking: { type: 'enabled', budget_tokens: budget }, effort: undefined, thinks: true };
    }
    case 'adaptive':
    case 'adaptive-only': {
      const level = traits.effortLevels.includes(effort) ? effort : effort === 'minimal' ? traits.effortLevels[0] : undefined;
      if (level === undefined) {
        const accepted = ['minimal', ...traits.effortLevels.filter((value) => OPENAI_EFFORTS.has(value))].map((value) => `"${value}"`).join(', ');
        throw unsupported('reasoning_effort', `${model} takes reasoning_effort ${accepted} or "none"; "${effort}" cannot be honoured.`);
      }
      return { thinking: { type: 'adaptive' }, effort: level, thinks: true };
    }
    default: {
      const unhandled: never = traits.thinking;
      return unhandled;
    }
  }
}
