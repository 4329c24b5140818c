/**
 * The marked requests of this process by request id, so that an observer stream (another gRPC
 * stream than the router's) finds the request it reads. An entry lives from forwarding until the
 * stream that ends the request closes. Per process: hence workers: 1 with the setting on.
 * Generic over the request's type (the Exchange) only so the pipeline's dependencies can name it
 * without an import cycle.
 */
export class ObservedExchanges<Exchange extends object = object> {
  readonly #byId = new Map<string, Exchange>();

  add(id: string, exchange: Exchange): void {
    this.#byId.set(id, exchange);
  }

  get(id: string): Exchange | undefined {
    return this.#byId.get(id);
  }

  /** Removes the entry only if it is still this exchange's (a later request may reuse a trusted client's id). */
  delete(id: string, exchange: Exchange): void {
    if (this.#byId.get(id) === exchange) this.#byId.delete(id);
  }

  get size(): number {
    return this.#byId.size;
  }
}
