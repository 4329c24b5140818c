import { ConfigurationError } from '../config/load.js';
import { StartupError } from './startup-error.js';

/**
 * The text a person reads when the gateway cannot start: the message alone for a failure
 * the gateway foresees (a bad configuration lists every problem; a taken port names the
 * port and the setting), and the stack for anything else, which is a bug.
 */
export function describeStartupFailure(error: unknown): string {
  if (isForeseen(error)) return (error as Error).message;
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `The gateway failed to start (this is a bug; please report it): ${text}`;
}

/** Whether the failure is one the gateway foresees and explains in its message. */
export function isForeseen(error: unknown): boolean {
  return error instanceof StartupError || error instanceof ConfigurationError;
}
