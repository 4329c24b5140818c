import type { Environment } from '../config/runtime.js';
import { StartupError } from '../startup/startup-error.js';
import type { LogFormat } from './logger.js';

export interface LogSettings {
  /** A pino level: trace, debug, info, warn, error, fatal or silent. */
  level: string;
  format: LogFormat;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/**
 * LOG_LEVEL (default info) and LOG_FORMAT (default `defaultFormat`) from the environment.
 * Throws a StartupError naming the variable and the values it takes when either is not one
 * of them: a typo must not silently log at another level or in another format.
 */
export function readLogSettings(environment: Environment, defaultFormat: LogFormat): LogSettings {
  const level = (environment.LOG_LEVEL?.trim() || 'info').toLowerCase();
  if (!LEVELS.includes(level)) {
    throw new StartupError(`LOG_LEVEL=${environment.LOG_LEVEL} is not a log level: use one of ${LEVELS.join(', ')}.`);
  }
  const format = (environment.LOG_FORMAT?.trim() || defaultFormat).toLowerCase();
  if (!isLogFormat(format)) {
    throw new StartupError(`LOG_FORMAT=${environment.LOG_FORMAT} is not a log format: use json (one JSON object per line, for log pipelines) or pretty (readable lines, for a terminal).`);
  }
  return { level, format };
}

function isLogFormat(value: string): value is LogFormat {
  return (FORMATS as readonly string[]).includes(value);
}
