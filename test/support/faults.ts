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
