import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * pino JSON logs, written asynchronously so a slow stdout never stalls the request path.
 * Redaction is a second line of defence: credentials are never passed to the logger in the
 * first place (they live in Secret objects that print as "[redacted]").
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'llm-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['authorization', '*.authorization', 'headers.authorization', 'headers["x-api-key"]', 'credential', '*.credential', 'api_key', '*.api_key'],
        censor: '[redacted]',
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
