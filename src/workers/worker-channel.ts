/**
 * Calls from a sidecar worker to the primary process over the cluster IPC channel, and the
 * primary's answers. Messages carry a tag so they never mix with prom-client's own cluster
 * messages (its metrics aggregation shares the channel).
 */

/** The tag of this channel's messages. */
const TAG = 'llm_gateway_call';

export interface WorkerCall {
  readonly tag: typeof TAG;
  readonly id: number;
  readonly method: string;
  readonly args: readonly unknown[];
}

export interface PrimaryReply {
  readonly tag: typeof TAG;
  readonly id: number;
  readonly result?: unknown;
  /** A failed call: the error's name and message (a StoreUnavailableError stays one). */
  readonly error?: { name: string; message: string };
}

/** What a worker process can send on: Node's `process` when it was forked with an IPC channel. */
export interface IpcEndpoint {
  send?(message: unknown): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

/** The worker's side: call(method, args) resolves with the primary's answer, or rejects with its error. */
export class PrimaryChannel {
  readonly #endpoint: IpcEndpoint;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly #errorOf: (name: string, message: string) => Error;
  #next = 0;

  /** `errorOf` rebuilds a named error (the store's StoreUnavailableError) from its name and message. */
  constructor(endpoint: IpcEndpoint, errorOf: (name: string, message: string) => Error) {
    this.#endpoint = endpoint;
    this.#errorOf = errorOf;
    endpoint.on('message', (message) => {
      if (!isReply(message)) return;
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      this.#pending.delete(message.id);
      if (message.error !== undefined) pending.reject(this.#errorOf(message.error.name, message.error.message));
      else pending.resolve(message.result);
    });
  }

  call(method: string, args: readonly unknown[]): Promise<unknown> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      const call: WorkerCall = { tag: TAG, id, method, args };
      if (this.#endpoint.send?.(call) !== true) {
        this.#pending.delete(id);
        reject(this.#errorOf('Error', 'the sidecar primary process cannot be reached'));
      }
    });
  }
}

/** The primary's side: answers a worker's call with `handle`, through `reply` (the worker's send). */
export function answerWorkerCall(message: unknown, handle: (method: string, args: readonly unknown[]) => Promise<unknown>, reply: (message: PrimaryReply) => void): boolean {
  if (!isCall(message)) return false;
  handle(message.method, message.args).then(
    (result) => reply({ tag: TAG, id: message.id, result }),
    (error: unknown) => reply({ tag: TAG, id: message.id, error: { name: (error as Error)?.name ?? 'Error', message: (error as Error)?.message ?? String(error) } }),
  );
  return true;
}

function isCall(message: unknown): message is WorkerCall {
  return typeof message === 'object' && message !== null && (message as WorkerCall).tag === TAG && typeof (message as WorkerCall).method === 'string';
}

function isReply(message: unknown): message is PrimaryReply {
  return typeof message === 'object' && message !== null && (message as PrimaryReply).tag === TAG && !('method' in message);
}
