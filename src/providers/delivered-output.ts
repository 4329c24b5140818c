/**
 * The output a translated stream has handed to the client so far, kept so that a stream
 * that ends without the provider's totals (upstream cut, client gone, idle timeout) can be
 * metered by what was delivered rather than by how many events carried it. Anthropic and
 * Gemini put many tokens in one event, so counting events under-bills a cut stream.
 *
 * Pieces are kept as the strings the translator already holds (no copying per event) and
 * joined only when counted, which happens only for a cut-short stream.
 */
export class DeliveredOutput {
  readonly #text: string[] = [];
  readonly #reasoning: string[] = [];

  /** Generated text the client saw: content, tool-call names and arguments. */
  addText(text: string | undefined): void {
    if (text) this.#text.push(text);
  }

  /** Reasoning (thinking) text the client saw as reasoning_content. */
  addReasoning(text: string | undefined): void {
    if (text) this.#reasoning.push(text);
  }

  get text(): string {
    return this.#text.join('');
  }

  get reasoning(): string {
    return this.#reasoning.join('');
  }
}
