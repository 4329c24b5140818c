import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Lines are written in batches of this many bytes, or at the latest after FLUSH_INTERVAL_MS. */
const BATCH_BYTES = 4096;
const FLUSH_INTERVAL_MS = 100;

/**
 * pino JSON logs, written asynchronously so a slow stdout never stalls the request path, and
 * in batches: one write per line cost every request a trip through libuv's thread pool, the
 * largest single item of the sidecar's own CPU at a few hundred requests per second
 * (`make bench`). A line waits at most FLUSH_INTERVAL_MS; pino flushes what is left when
 * the process exits.
 * Redaction is a second line of defence: credentials are never passed to the logger in the
 * first place (they live in Secret objects that print as "[redacted]"). Its paths are exact:
 * a wildcard path (`*.authorization`) made every request line walk its fields, doubling the
 * cost of the line (`make bench`).
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'llm-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['authorization', 'headers.authorization', 'headers["x-api-key"]', 'credential', 'api_key'],
        censor: '[redacted]',
      },
    },
    options.destination ?? batchedStdout(),
  );
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
