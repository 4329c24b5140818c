import { createHash } from 'node:crypto';

/**
 * A provider's documented rule for one kind of identifier: which values it accepts as they
 * are, and how a value it would refuse is rewritten.
 */
export interface IdentifierRule {
  /** Matches, whole, a value the provider accepts. */
  readonly accepts: RegExp;
  /** Matches one character a rewritten value may not contain (global flag); each becomes "_". */
  readonly forbiddenCharacter: RegExp;
  /** The longest value the provider accepts, in characters. */
  readonly maxLength: number;
  /** Matches the characters a value may begin with, when the provider restricts the first one. */
  readonly firstCharacter?: RegExp;
}

/**
 * Anthropic `tool_use.id` and `tool_result.tool_use_id`: `^[a-zA-Z0-9_-]+$`, refused with a 400
 * otherwise ("String should match pattern"; https://docs.claude.com/en/api/messages, ToolUseBlockParam).
 * No length limit is documented; rewritten ids stay at 64 characters, the longest id OpenAI clients
 * are known to accept.
 */
export const ANTHROPIC_TOOL_USE_ID: IdentifierRule = {
  accepts: /^[a-zA-Z0-9_-]+$/,
  forbiddenCharacter: /[^a-zA-Z0-9_-]/g,
  maxLength: 64,
};

/**
 * Anthropic tool names, in `tools[].name`, `tool_choice.name` and `tool_use.name`:
 * `^[a-zA-Z0-9_-]{1,64}$` (https://docs.claude.com/en/docs/agents-and-tools/tool-use/implement-tool-use#specifying-client-tools;
 * later pages allow 128, the narrower rule is kept). Every name OpenAI accepts for a function
 * (`^[a-zA-Z0-9_-]{1,64}$`) fits, so declared tools keep their names; only names carried in
 * history from other providers (e.g. "functions.read_file") are rewritten.
 */
export const ANTHROPIC_TOOL_NAME: IdentifierRule = {
  accepts: /^[a-zA-Z0-9_-]{1,64}$/,
  forbiddenCharacter: /[^a-zA-Z0-9_-]/g,
  maxLength: 64,
};

/**
 * Anthropic `metadata.user_id`: an opaque id of at most 256 characters
 * (https://docs.claude.com/en/api/messages, "metadata.user_id", maxLength 256).
 */
export const ANTHROPIC_USER_ID: IdentifierRule = {
  accepts: /^[\s\S]{1,256}$/,
  forbiddenCharacter: /[^\s\S]/g,
  maxLength: 256,
};

/**
 * Gemini function names, in `functionDeclarations[].name`, `functionCall.name`,
 * `functionResponse.name` and `allowedFunctionNames`: "Must start with a letter or an
 * underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes, with a
 * maximum length of 128" (https://ai.google.dev/api/caching#FunctionDeclaration;
 * googleapis/js-genai src/types.ts `FunctionDeclaration.name`). OpenAI names that begin with a
 * digit or a dash do not fit; see fitGeminiFunctionName for how they travel and come back.
 */
export const GEMINI_FUNCTION_NAME: IdentifierRule = {
  accepts: /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,127}$/,
  // A rewritten name keeps to OpenAI's characters, so it never looks like an escaped name (see fitGeminiFunctionName).
  forbiddenCharacter: /[^a-zA-Z0-9_-]/g,
  maxLength: 128,
  firstCharacter: /[a-zA-Z_]/,
};

/** Hex characters of SHA-256 kept in a rewritten value: 64 bits, so two originals never meet by chance. */
const HASH_LENGTH = 16;

/**
 * A client's identifier fitted to a provider's rule:
 * - a value the rule accepts is returned unchanged, so ids and names minted by the provider
 *   itself, and every ordinary name, reach it exactly as the client wrote them;
 * - any other value becomes its forbidden characters replaced by "_", cut to leave room,
 *   then "_" and the first 16 hex characters of the SHA-256 of the whole original
 *   (`functions.read_file:0` -> `functions_read_file_0_3f1c...`).
 *
 * The result is a pure function of the original: a tool call and its result, which carry the
 * same id, are rewritten alike, and a conversation resent with every later turn (as clients
 * do) gets the same rewritten ids each time. Two different originals cannot meet: an
 * accepted value is kept whole, and a rewritten one carries 64 bits of its original's hash.
 */
export function fitIdentifier(value: string, rule: IdentifierRule): string {
  if (rule.accepts.test(value)) return value;
  const hash = createHash('sha256').update(value, 'utf8').digest('hex').slice(0, HASH_LENGTH);
  let head = value.replace(rule.forbiddenCharacter, '_');
  if (rule.firstCharacter && !rule.firstCharacter.test(head.charAt(0) || '_')) head = `_${head}`;
  head = head.slice(0, rule.maxLength - HASH_LENGTH - 1);
  return head === '' ? `_${hash}` : `${head}_${hash}`;
}
