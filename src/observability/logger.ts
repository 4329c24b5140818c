import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** `json`: one JSON object per line, for log pipelines (the default). `pretty`: readable lines for a terminal. */
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  /** A pino level; default info. */
  level?: string;
  /** The `service` field of every line: whose lines these are. Default llm-gateway. */
  service?: string;
  /** Where lines go; default stdout in `format`. Loggers that share stdout share one destination. */
  destination?: DestinationStream;
  /** Used when no destination is given; default json. */
  format?: LogFormat;
}

/** Lines are written in batches of this many bytes, or at the latest after FLUSH_INTERVAL_MS. */
const BATCH_BYTES = 4096;
const FLUSH_INTERVAL_MS = 100;

/**
 * pino logs, JSON unless asked for pretty lines. JSON goes to stdout asynchronously so a
 * slow stdout never stalls the request path, and in batches: one write per line cost every
 * request a trip through libuv's thread pool, the largest single item of the sidecar's own
 * CPU at a few hundred requests per second (`make bench`). A line waits at most
 * FLUSH_INTERVAL_MS; pino flushes what is left when the process exits.
 * Redaction is a second line of defence: credentials are never passed to the logger in the
 * first place (they live in Secret objects that print as "[redacted]"). Its paths are exact:
 * a wildcard path (`*.authorization`) made every request line walk its fields, doubling the
 * cost of the line (`make bench`).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service ?? 'llm-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['authorization', 'headers.authorization', 'headers["x-api-key"]', 'credential', 'api_key'],
        censor: '[redacted]',
      },
    },
    options.destination ?? createLogDestination(options.format ?? 'json'),
  );
}

/** Standard output in the given format, for one or more loggers. */
export function createLogDestination(format: LogFormat): DestinationStream {
  return format === 'pretty' ? createPrettyDestination(pino.destination({ dest: 1, sync: true })) : batchedStdout();
}

/**
 * Turns each JSON line into a readable one with pino's own prettifier (pino-pretty) before
 * writing it to `output`: local time, level, `sidecar |` or `envoy |` (the `service`
 * field), the message, then the other fields on the same line. Synchronous, so a line
 * logged just before the process exits is never lost; for terminals, not for production.
 * Colours follow the terminal unless `colorize` says (pino-pretty honours NO_COLOR and FORCE_COLOR).
 */
export function createPrettyDestination(output: { write(text: string): unknown }, options: { colorize?: boolean } = {}): DestinationStream {
  // Loaded only in pretty mode: production (JSON) never pays for the prettifier's modules.
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const prettify = prettyFactory({
    ...(options.colorize === undefined ? {} : { colorize: options.colorize }),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'service,pid,hostname',
    singleLine: true,
    // Only `err` holds an Error; Envoy's access log has an `error` field that is a plain code.
    errorLikeObjectKeys: ['err'],
    messageFormat: (line, messageKey) => `${line.service === 'envoy' ? 'envoy  ' : 'sidecar'} | ${String(line[messageKey] ?? '')}`,
  });
  return { write: (line: string) => void output.write(prettify(line)) };
}

function batchedStdout(): DestinationStream {
  const destination = pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES });
  // sonic-boom keeps its buffered length in `_len`; flushing an empty buffer would write zero bytes.
  const buffered = destination as unknown as { _len?: number; destroyed?: boolean };
  // The timer never keeps the process alive; shutdown flushes explicitly (main.ts).
  setInterval(() => {
    if (!buffered.destroyed && (buffered._len ?? 1) > 0) destination.flush();
  }, FLUSH_INTERVAL_MS).unref();
  return destination;
}
