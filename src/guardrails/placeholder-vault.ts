/**
 * The masked values of one request: each distinct value gets a placeholder `<LABEL_n>`
 * (`<EMAIL_1>`, `<PHONE_2>`), the same value the same placeholder. Lives only as long as the
 * request's processor; never logged, never stored.
 */
export class PlaceholderVault {
  readonly #byValue = new Map<string, string>();
  readonly #byPlaceholder = new Map<string, string>();
  readonly #counts = new Map<string, number>();

  /** The placeholder for `value` found by `detector`, made on first use. */
  placeholderFor(detector: string, value: string): string {
    const key = `${detector}\u0000${value}`;
    const known = this.#byValue.get(key);
    if (known !== undefined) return known;
    const label = detector.toUpperCase();
    const count = (this.#counts.get(label) ?? 0) + 1;
    this.#counts.set(label, count);
    const placeholder = `<${label}_${count}>`;
    this.#byValue.set(key, placeholder);
    this.#byPlaceholder.set(placeholder, value);
    return placeholder;
  }

  get size(): number {
    return this.#byPlaceholder.size;
  }

  /** `text` with every placeholder of this request replaced by its value; other `<...>` left as they are. */
  restore(text: string): string {
    if (this.#byPlaceholder.size === 0 || !text.includes('<')) return text;
    return text.replace(PLACEHOLDER, (placeholder) => this.#byPlaceholder.get(placeholder) ?? placeholder);
  }

  /**
   * `text`, a piece of JSON source (tool-call arguments), with every placeholder replaced by
   * its value escaped as inside a JSON string (`"` -> `\"`, `\` -> `\\`, controls as `\n`,
   * `\u0001`): a placeholder stands inside a string there, and the raw value would break it.
   */
  restoreJson(text: string): string {
    if (this.#byPlaceholder.size === 0 || !text.includes('<')) return text;
    return text.replace(PLACEHOLDER, (placeholder) => {
      const value = this.#byPlaceholder.get(placeholder);
      return value === undefined ? placeholder : JSON.stringify(value).slice(1, -1);
    });
  }
}

const PLACEHOLDER = /<[A-Z]+_\d+>/g;
/** The longest text a placeholder's start can be: `<`, a label, `_`, a count. */
const MAX_PLACEHOLDER = 24;
/** A tail that may still become a placeholder when the next text arrives. */
const PARTIAL = /<[A-Z]*(?:_\d*)?$/;

/**
 * Restores placeholders in a text that arrives in pieces (a stream's deltas). A piece that
 * ends with what may be the start of a placeholder (`<EMA`) keeps that tail back until the
 * next piece decides it; `end` gives what is still held. `as: 'json'` for pieces of JSON
 * source (tool-call argument deltas): values come back JSON-escaped (`restoreJson`).
 */
export class StreamRestorer {
  readonly #vault: PlaceholderVault;
  readonly #json: boolean;
  #held = '';

  constructor(vault: PlaceholderVault, as: 'text' | 'json' = 'text') {
    this.#vault = vault;
    this.#json = as === 'json';
  }

  /** The text that can be delivered now, restored. */
  push(piece: string): string {
    const text = this.#held + piece;
    // Most pieces have no `<` near their end: nothing to hold, and no slice to make.
    const partial = text.lastIndexOf('<') < text.length - MAX_PLACEHOLDER ? null : PARTIAL.exec(text.slice(-MAX_PLACEHOLDER));
    const cut = partial === null ? text.length : text.length - partial[0].length;
    this.#held = text.slice(cut);
    const ready = text.slice(0, cut);
    return this.#json ? this.#vault.restoreJson(ready) : this.#vault.restore(ready);
  }

  /** Whatever is still held back (the stream ended): delivered as it is. */
  end(): string {
    const held = this.#held;
    this.#held = '';
    return held;
  }
}
