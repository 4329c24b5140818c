import { inspect } from 'node:util';

/**
 * A provider credential. It prints as "[redacted]" everywhere (logs, JSON, util.inspect),
 * so handing a configuration object to a logger can never leak it; the raw value is only
 * available through reveal(), called where the credential header is written.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}
