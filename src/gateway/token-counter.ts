import { Worker } from 'node:worker_threads';

/**
 * Counts tokens where no provider reported them (a stream cut off before its usage
 * arrived), with OpenAI's o200k_base encoding (tiktoken); for other providers' tokenizers
 * it is an estimate, and always labelled as one.
 *
 * The encoding runs in a worker thread. Its ~200k ranks are a large, long-lived structure;
 * in the request thread every major GC had to walk it, pauses of 10-30 ms that set the
 * sidecar's p99 (`make bench`). In a worker they live in another V8 heap, so counting costs
 * the request path one message round trip, and only for a stream that was cut short.
 *
 * The worker costs ~80 MiB of RSS (its isolate, tiktoken's WebAssembly and the ranks) and
 * 1-2 s of CPU to start, so it starts at the first count unless `start()` is called: the
 * composition root starts it at once when the configuration counts on a request's path
 * (a route's `prompt_tokens` rule); otherwise the first count (a cut-short stream, a
 * count_tokens answered locally, a prompt that may not fit a context window) waits for it.
 */
export interface TokenCounter {
  count(text: string): Promise<number>;
  /** Starts the worker now instead of at the first count (idempotent). */
  start(): void;
  /** Stops the worker; later counts get the rough count. */
  close(): Promise<void>;
}

/** About four characters per token: the answer when the tokenizer cannot be used. */
export function roughTokenCount(text: string): number {
  return Math.ceil(text.length / 4);
}

export function createTokenCounter(): TokenCounter {
  let worker: Worker | undefined;
  const pending = new Map<number, { text: string; resolve: (count: number) => void }>();
  let nextId = 0;
  let failed = false;
  // A worker that failed (or exited) answers nothing more: what it owed gets the rough count.
  const failAll = () => {
    failed = true;
    for (const { text, resolve } of pending.values()) resolve(roughTokenCount(text));
    pending.clear();
  };
  const started = (): Worker => {
    if (worker !== undefined) return worker;
    worker = new Worker(new URL('./token-counter-worker.js', import.meta.url));
    // Never keeps the process alive: the sidecar's own shutdown decides when it exits.
    worker.unref();
    worker.on('message', ({ id, count }: { id: number; count: number }) => {
      pending.get(id)?.resolve(count);
      pending.delete(id);
    });
    worker.on('error', failAll);
    worker.on('exit', failAll);
    return worker;
  };
  return {
    count(text) {
      if (text.length === 0) return Promise.resolve(0);
      if (failed) return Promise.resolve(roughTokenCount(text));
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, { text, resolve });
        started().postMessage({ id, text });
      });
    },
    start() {
      if (!failed) started();
    },
    async close() {
      if (worker === undefined) failed = true;
      else await worker.terminate();
    },
  };
}
