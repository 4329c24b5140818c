import type { Responder } from './mock-openai-upstream.js';
import { completion, sendJson, streamEvents } from './mock-openai-upstream.js';

/** Scripted answers for the mock upstreams: the failures providers really produce. */
export function failWith(status: number, headers: Record<string, string> = {}): Responder {
  const type = status === 429 ? 'rate_limit_error' : 'server_error';
  return (_request, response) => sendJson(response, status, { error: { message: `mock failure ${status}`, type, param: null, code: null } }, headers);
}

/** Closes the connection without answering (Envoy sees a reset before the response began). */
export const resetConnection: Responder = (request, response) => {
  void request;
  response.socket?.destroy();
};

/** Answers normally (stream or not) as OpenAI would. */
export const succeed: Responder = (request, response) => {
  const model = String(request.json?.model);
  if (request.json?.stream === true) {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.end(streamEvents(model, true).join(''));
    return;
  }
  sendJson(response, 200, completion(model));
};

/** Streams the first `events` events of a completion, then drops the connection mid-stream. */
export function cutStreamAfter(events: number): Responder {
  return async (request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const event of streamEvents(String(request.json?.model), true).slice(0, events)) {
      response.write(event);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    response.socket?.destroy();
  };
}

/** Streams slowly, one event every `intervalMs`, so a test can act while the stream is in flight. */
export function slowStream(intervalMs: number): Responder {
  return async (request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const event of streamEvents(String(request.json?.model), true)) {
      if (response.destroyed) return;
      response.write(event);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    response.end();
  };
}

/** Answers normally after a delay, so a test can have many requests in flight at once. */
export function delayed(milliseconds: number): Responder {
  return async (request, response) => {
    await new Promise((resolve) => setTimeout(resolve, milliseconds));
    await succeed(request, response);
  };
}

/** A latch a test opens when it is ready: responders wait on it instead of on a clock. */
export interface Gate {
  readonly opened: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Answers normally once the gate opens, so a test can hold many requests in flight for as long as it needs. */
export function heldUntil(latch: Gate): Responder {
  return async (request, response) => {
    await latch.opened;
    await succeed(request, response);
  };
}

/** Streams the first event, then the rest once the gate opens: the stream is in flight until the test says. */
export function streamHeldUntil(latch: Gate): Responder {
  return async (request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    const [first, ...rest] = streamEvents(String(request.json?.model), true);
    response.write(first);
    await latch.opened;
    if (!response.destroyed) response.end(rest.join(''));
  };
}

/**
 * A promise's outcome as Promise.allSettled reports it, handled at once (so a refusal that
 * arrives while the test still waits for others is never an unhandled rejection), with a
 * callback when it is known.
 */
export function settled<T>(promise: Promise<T>, onSettled: () => void = () => {}): Promise<PromiseSettledResult<T>> {
  return promise.then(
    (value): PromiseSettledResult<T> => {
      onSettled();
      return { status: 'fulfilled', value };
    },
    (reason: unknown): PromiseSettledResult<T> => {
      onSettled();
      return { status: 'rejected', reason };
    },
  );
}
