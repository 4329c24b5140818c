import type { ChatCompletionRequest } from '../openai/openai-api.js';
import { reasoningBudgetTokens } from '../reasoning-budget-tokens.js';
import { unsupportedParameter as unsupported } from '../translation-errors.js';

/** How a Gemini model takes a thinking setting (https://ai.google.dev/gemini-api/docs/thinking). */
type GeminiThinking =
  /** Gemini 2.5: `thinkingBudget` in tokens, within a range; 0 turns thinking off where allowed. */
  | { kind: 'budget'; min: number; max: number; canDisable: boolean }
  /** Gemini 3 and later: `thinkingLevel`; thinking cannot be turned off. */
  | { kind: 'level'; levels: readonly string[] }
  /** Models that do not think (Gemini 1.x, 2.0, Gemma). */
  | { kind: 'none' }
  /** A name this table does not know. */
  | { kind: 'unknown' };

/**
 * Model name patterns, first match wins. Budget ranges and levels are the thinking page's
 * tables: 2.5 Pro 128-32,768 and always thinks; 2.5 Flash 0-24,576; 2.5 Flash-Lite 512-24,576
 * or 0; Gemini 3 Pro takes LOW and HIGH (MEDIUM is refused: "Thinking level MEDIUM is not
 * supported for this model"), later Pro models LOW, MEDIUM and HIGH, Flash models MINIMAL,
 * LOW, MEDIUM and HIGH.
 */
const MODELS: ReadonlyArray<readonly [pattern: RegExp, thinking: GeminiThinking]> = [
  [/gemini-2\.5-pro/, { kind: 'budget', min: 128, max: 32768, canDisable: false }],
  [/gemini-2\.5-flash-lite/, { kind: 'budget', min: 512, max: 24576, canDisable: true }],
  [/gemini-2\.5-flash/, { kind: 'budget', min: 1, max: 24576, canDisable: true }],
  [/gemini-3(\.0)?-pro/, { kind: 'level', levels: ['LOW', 'HIGH'] }],
  [/gemini-([3-9]|\d\d)(\.\d+)?-pro/, { kind: 'level', levels: ['LOW', 'MEDIUM', 'HIGH'] }],
  [/gemini-([3-9]|\d\d)(\.\d+)?-flash/, { kind: 'level', levels: ['MINIMAL', 'LOW', 'MEDIUM', 'HIGH'] }],
  [/gemini-(1\.|2\.0)|gemma/, { kind: 'none' }],
];

function geminiThinking(model: string): GeminiThinking {
  const name = model.toLowerCase();
  for (const [pattern, thinking] of MODELS) if (pattern.test(name)) return thinking;
  return { kind: 'unknown' };
}

/**
 * OpenAI's `reasoning_effort` as Gemini's `generationConfig.thinkingConfig`, or undefined to
 * send none (https://ai.google.dev/api/generate-content#ThinkingConfig):
 * - Gemini 2.5: `thinkingBudget` from reasoningBudgetTokens (Google's own mapping of this
 *   field), fitted into the model's range; `none` is 0 where the model can stop thinking.
 *   Gemini 2.5 Pro cannot, and its smallest budget (128) would still bill thinking the
 *   client declined, so `none` is refused there rather than quietly raised.
 * - Gemini 3: `thinkingLevel` of the same name; `minimal` is the model's lowest level; a
 *   level the model lacks (`xhigh`; `medium` on 3 Pro) and `none` (Gemini 3 always thinks)
 *   are refused.
 * - Thinking models are asked for thought summaries (`includeThoughts`), which reach the
 *   client as `reasoning_content`, never as `content`.
 * Throws a 400 naming `reasoning_effort` for what cannot be honoured.
 */
export function convertReasoningEffort(effort: ChatCompletionRequest['reasoning_effort'], model: string): Record<string, unknown> | undefined {
  if (effort == null) return undefined;
  const thinking = geminiThinking(model);
  switch (thinking.kind) {
    case 'unknown':
      throw unsupported('reasoning_effort', `The gateway does not know how ${model} takes a thinking setting, so reasoning_effort cannot be translated for it.`);
    case 'none':
      if (effort === 'none') return undefined;
      throw unsupported('reasoning_effort', `${model} does not think; only reasoning_effort "none" can be honoured.`);
    case 'budget':
      if (effort === 'none') {
        if (!thinking.canDisable) throw unsupported('reasoning_effort', `${model} always thinks; reasoning_effort "none" cannot be honoured.`);
        return { thinkingBudget: 0 };
      }
      return { thinkingBudget: Math.min(Math.max(reasoningBudgetTokens(effort), thinking.min), thinking.max), includeThoughts: true };
    case 'level': {
      if (effort === 'none') throw unsupported('reasoning_effort', `${model} always thinks; reasoning_effort "none" cannot be honoured.`);
      const wanted = effort.toUpperCase();
      const level = thinking.levels.includes(wanted) ? wanted : effort === 'minimal' ? thinking.levels[0] : undefined;
      if (level === undefined) {
        const accepted = ['minimal', ...thinking.levels.filter((value) => value !== 'MINIMAL').map((value) => value.toLowerCase())].map((value) => `"${value}"`).join(', ');
        throw unsupported('reasoning_effort', `${model} takes reasoning_effort ${accepted}; "${effort}" cannot be honoured.`);
      }
      return { thinkingLevel: level, includeThoughts: true };
    }
    default: {
      const unhandled: never = thinking;
      return unhandled;
    }
  }
}
