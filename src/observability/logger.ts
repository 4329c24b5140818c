import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * pino JSON logs, written asynchronously so a slow stdout never stalls the request path.
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
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
