import type { RequestNeeds } from '../capabilities/request-needs.js';
import type { RequestText } from './request-text.js';
import type { RuleConditions } from './route-schema.js';

/** What a rule's conditions are judged on: facts about one request, each computed only when a rule asks. */
export interface RequestFacts {
  text: () => RequestText;
  needs: RequestNeeds | undefined;
  stream: boolean;
  /** The client's request headers, lower-case names. */
  headers: Readonly<Record<string, string>>;
  /** The caller's key (alias and metadata); undefined for an anonymous caller of an open gateway. */
  key: { alias: string; metadata: Readonly<Record<string, string>> } | undefined;
  /** A prompt token count no tokenizer exceeds (body bytes plus a bound per image). */
  promptUpperBound: number;
  /** The prompt's tokens, counted with the gateway's tokenizer (asked only when the bound cannot decide). */
  countPrompt: () => Promise<number>;
}

/**
 * Whether every condition of a rule holds for a request (an empty set holds). Synchronous
 * unless a prompt_tokens range needs the tokenizer: the byte bound decides first (a prompt
 * whose upper bound is under `min`, or within `max` without a `min`, needs no count).
 */
export function matchRule(when: RuleConditions, facts: RequestFacts): boolean | Promise<boolean> {
  if (when.last_user_message !== undefined && !matchText(when.last_user_message, facts.text().lastUserMessage)) return false;
  if (when.system_prompt !== undefined && !matchText(when.system_prompt, facts.text().systemPrompt)) return false;
  const uses = facts.needs?.uses ?? {};
  if (when.has_tools !== undefined && (uses.tools !== undefined) !== when.has_tools) return false;
  if (when.has_images !== undefined && (uses.vision !== undefined) !== when.has_images) return false;
  if (when.has_json_schema !== undefined && (uses.json_schema !== undefined) !== when.has_json_schema) return false;
  if (when.stream !== undefined && facts.stream !== when.stream) return false;
  for (const [name, wanted] of Object.entries(when.headers ?? {})) {
    if (!oneOf(wanted, facts.headers[name])) return false;
  }
  if (when.key !== undefined) {
    const key = facts.key;
    if (key === undefined) return false;
    if (when.key.alias !== undefined && !when.key.alias.includes(key.alias)) return false;
    for (const [name, wanted] of Object.entries(when.key.metadata ?? {})) {
      if (!oneOf(wanted, key.metadata[name])) return false;
    }
  }
  const range = when.prompt_tokens;
  if (range === undefined) return true;
  const within = (tokens: number) => (range.min === undefined || tokens >= range.min) && (range.max === undefined || tokens <= range.max);
  if (range.min !== undefined && facts.promptUpperBound < range.min) return false;
  if (range.min === undefined && facts.promptUpperBound <= range.max!) return true;
  return facts.countPrompt().then(within);
}

function oneOf(wanted: string | readonly string[], value: string | undefined): boolean {
  if (value === undefined) return false;
  return typeof wanted === 'string' ? value === wanted : wanted.includes(value);
}

const compiled = new Map<string, RegExp>();

/** A regex (case-insensitive) or keywords (any one, case-insensitive, as a whole word). Patterns are compiled once. */
function matchText(condition: { regex?: string | undefined; keywords?: readonly string[] | undefined }, text: string): boolean {
  if (condition.regex !== undefined && pattern(condition.regex).test(text)) return true;
  if (condition.keywords !== undefined && pattern(keywordsPattern(condition.keywords)).test(text)) return true;
  return false;
}

function pattern(source: string): RegExp {
  let regex = compiled.get(source);
  if (regex === undefined) {
    regex = new RegExp(source, 'iu');
    compiled.set(source, regex);
  }
  return regex;
}

function keywordsPattern(keywords: readonly string[]): string {
  const escaped = keywords.map((keyword) => keyword.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  // Whole words: a keyword is not matched inside a longer word ("class" not in "classic").
  return `(?<![\\p{L}\\p{N}_])(?:${escaped.join('|')})(?![\\p{L}\\p{N}_])`;
}
