/**
 * A reason the gateway cannot start, written for the person starting it: what failed, where
 * (port, address, file, configuration setting) and what to do about it. Launchers print the
 * message as it is, without a stack, and exit non-zero; an error of any other class at
 * start-up is a bug, and is printed with its stack.
 */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}
