import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from '../observability/logger.js';

/**
 * Envoy's application log format under `make run`: `level|logger|message`, with
 * --log-format-escaped so an entry with a line break stays one line.
 */
export const ENVOY_LOG_FORMAT = '%l|%n|%v';

export interface EnvoyOutputRelay {
  /** Envoy's last error and critical lines (and lines outside its log format), oldest first. */
  lastProblems(): readonly string[];
}

const LEVELS: Record<string, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
};
const KEPT_PROBLEMS = 10;

/**
 * Passes Envoy's output through `logger` (whose `service` is envoy), so that under `make run`
 * Envoy's lines and the sidecar's come out in one format and can be told apart: each JSON
 * access-log line on Envoy's stdout becomes one info line, "GET /v1/models 200 (3 ms)", with
 * its fields (those Envoy left empty dropped; Envoy's `time` renamed `start_time`); each
 * entry of Envoy's own log on stderr keeps its level and names its logger (`component`).
 * Envoy's own level is Envoy's to filter (--log-level).
 */
export function relayEnvoyOutput(streams: { stdout: Readable; stderr: Readable }, logger: Logger): EnvoyOutputRelay {
  const problems: string[] = [];
  const remember = (text: string) => {
    problems.push(text);
    if (problems.length > KEPT_PROBLEMS) problems.shift();
  };
  createInterface({ input: streams.stdout, crlfDelay: Infinity }).on('line', (line) => {
    if (line.trim() === '') return;
    const entry = parseObject(line);
    if (entry === undefined) logger.info(line);
    else logger.info(accessLogFields(entry), describeAccess(entry));
  });
  createInterface({ input: streams.stderr, crlfDelay: Infinity }).on('line', (line) => {
    if (line.trim() === '') return;
    const match = /^(\w+)\|([^|]*)\|(.*)$/.exec(line);
    const level = match === null ? undefined : LEVELS[match[1]!];
    if (match === null || level === undefined) {
      // Outside the log format: Envoy's last words on a fatal error ("cannot bind ...") or a usage error.
      remember(line);
      logger.error(line);
      return;
    }
    const message = unescapeC(match[3]!);
    if (level === 'error' || level === 'fatal') remember(message);
    logger[level]({ component: match[2] }, message);
  });
  return { lastProblems: () => problems };
}

function parseObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function describeAccess(entry: Record<string, unknown>): string {
  const path = entry.path ?? entry.upstream_path ?? '';
  return `${String(entry.method ?? '')} ${String(path)} ${String(entry.status ?? '')} (${String(entry.duration_ms ?? '?')} ms)`;
}

/** The access log's fields without those Envoy left empty (null, "-"); `time` would clash with the log line's own. */
function accessLogFields(entry: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(entry)) {
    if (value === null || value === '-' || value === '') continue;
    fields[name === 'time' ? 'start_time' : name] = value;
  }
  return fields;
}

/** Undoes --log-format-escaped (C escapes) so the message reads as Envoy wrote it. */
function unescapeC(text: string): string {
  return text.replace(/\\([nt'"\\])/g, (_, character: string) => (character === 'n' ? '\n' : character === 't' ? '\t' : character));
}
