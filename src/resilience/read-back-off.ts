/**
 * How long a provider asked to be left alone, read from one of its answers. A provider's
 * explicit request to pause is a promise the gateway keeps: no request goes to that target
 * before the pause has passed (see TargetPauses).
 */
export interface BackOffRules {
  /** Pause after an overload that says for how long (Anthropic's 529, Gemini's 503 UNAVAILABLE). Milliseconds; 0 turns it off. */
  overloadedPauseMs: number;
  /** No pause is longer than this, whatever a provider asks. Milliseconds. */
  maxPauseMs: number;
}

/** Anthropic's "overloaded" status (https://docs.claude.com/en/api/errors). */
export const ANTHROPIC_OVERLOADED_STATUS = 529;
const GOOGLE_RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * The pause, in milliseconds, a failed answer asks for, or undefined when it asks for none.
 * Only failures are read (429 and 5xx): a success never pauses a target. In order:
 * - `retry-after-ms`: milliseconds, as OpenAI and Azure OpenAI send it alongside Retry-After;
 * - `retry-after`: delay-seconds or an HTTP-date (RFC 9110 section 10.2.3); a date is
 *   measured against `wallClockMs`;
 * - Gemini's error body: `error.details[]` with `@type` google.rpc.RetryInfo and a
 *   `retryDelay` in protobuf Duration JSON form ("20s", "1.5s")
 *   (https://ai.google.dev/gemini-api/docs/rate-limits, google/rpc/error_details.proto);
 * - an overload that names no delay: Anthropic's 529 overloaded_error
 *   (https://docs.claude.com/en/api/errors), Gemini's 503 UNAVAILABLE ("the service may be
 *   temporarily overloaded", https://ai.google.dev/gemini-api/docs/troubleshooting):
 *   `overloadedPauseMs`.
 * The answer is capped at `maxPauseMs`; a zero, negative or unreadable value asks for nothing.
 *
 * @param headers lower-case response header names to values.
 * @param body the response body when it was read (JSON errors), else undefined.
 */
export function readBackOff(status: number, headers: Readonly<Record<string, string | undefined>>, body: Buffer | string | undefined, wallClockMs: number, rules: BackOffRules): number | undefined {
  if (status !== 429 && status < 500) return undefined;
  const fromHeaders = fromRetryAfterMs(headers['retry-after-ms']) ?? fromRetryAfter(headers['retry-after'], wallClockMs);
  const error = fromHeaders === undefined ? readErrorBody(body) : undefined;
  const overloaded = status === ANTHROPIC_OVERLOADED_STATUS || (status === 503 && error?.status === 'UNAVAILABLE');
  const asked = fromHeaders ?? fromRetryInfo(error) ?? (overloaded && rules.overloadedPauseMs > 0 ? rules.overloadedPauseMs : undefined);
  return asked === undefined ? undefined : Math.min(asked, rules.maxPauseMs);
}

function positive(milliseconds: number): number | undefined {
  return Number.isFinite(milliseconds) && milliseconds > 0 ? Math.ceil(milliseconds) : undefined;
}

function fromRetryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return positive(Number(value));
}

function fromRetryAfter(value: string | undefined, wallClockMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return positive(Number(text) * 1000);
  // An HTTP-date always names its weekday and GMT; anything else is not one.
  if (!/^[A-Za-z]{3},? .*GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : positive(at - wallClockMs);
}

/** Google's error object (google.rpc.Status in JSON): the fields read here. */
interface GoogleError {
  status?: unknown;
  details?: unknown;
}

/** The `error` object of a JSON error body, if the body is one (bodies over 64 KiB are not read). */
function readErrorBody(body: Buffer | string | undefined): GoogleError | undefined {
  if (body === undefined || body.length === 0 || body.length > 65_536) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return undefined;
  }
  // Gemini wraps the error in an object; some Google front ends answer with a one-element array.
  const envelope = Array.isArray(parsed) ? parsed[0] : parsed;
  const error = (envelope as { error?: unknown } | null)?.error;
  return error !== null && typeof error === 'object' ? (error as GoogleError) : undefined;
}

function fromRetryInfo(error: GoogleError | undefined): number | undefined {
  const details = error?.details;
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    const record = detail as Record<string, unknown> | null;
    if (record?.['@type'] !== GOOGLE_RETRY_INFO || typeof record.retryDelay !== 'string') continue;
    const match = /^(\d+)(?:\.(\d{1,9}))?s$/.exec(record.retryDelay.trim());
    if (match) return positive(Number(match[1]) * 1000 + Number(`0.${match[2] ?? '0'}`) * 1000);
  }
  return undefined;
}
