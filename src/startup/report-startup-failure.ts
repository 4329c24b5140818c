import type { Logger } from '../observability/logger.js';
import { describeStartupFailure, isForeseen } from './describe-startup-failure.js';

/**
 * Says why the gateway could not start: the readable text on stderr, for the person who
 * started it, and, given a logger, one fatal log line with the same text for log pipelines
 * (with the error itself when the failure is a bug). The caller exits.
 */
export function reportStartupFailure(error: unknown, logger: Logger | undefined): void {
  const text = describeStartupFailure(error);
  process.stderr.write(`${text}\n`);
  if (logger !== undefined) {
    if (isForeseen(error)) logger.fatal(text);
    else logger.fatal({ err: error }, text);
  }
}
