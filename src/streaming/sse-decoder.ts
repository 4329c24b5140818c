import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';

export type SseEvent = EventSourceMessage;

/**
 * Bytes -> server-sent events, independent of how Envoy cut the body into chunks: an event
 * split across chunks, several in one chunk, `data:` with or without a space, CRLF or LF
 * line ends, a multi-byte character split between chunks. Framing only; meaning is the
 * translator's job.
 */
export class SseDecoder {
  readonly #text = new TextDecoder('utf-8');
  readonly #parser: EventSourceParser;
  #events: SseEvent[] = [];

  constructor() {
    this.#parser = createParser({ onEvent: (event) => this.#events.push(event) });
  }

  /** Feeds one chunk; returns the events it completed (often none or one). */
  push(chunk: Uint8Array): SseEvent[] {
    this.#parser.feed(this.#text.decode(chunk, { stream: true }));
    return this.#take();
  }

  /**
   * The stream ended. An event not terminated by a blank line is discarded, as the SSE
   * specification says (html.spec.whatwg.org, "server-sent events", end of file): it was
   * cut off, and passing half an event on would hand the client broken JSON.
   */
  end(): SseEvent[] {
    const rest = this.#text.decode();
    if (rest) this.#parser.feed(rest);
    this.#parser.reset();
    return this.#take();
  }

  #take(): SseEvent[] {
    if (this.#events.length === 0) return NO_EVENTS;
    const events = this.#events;
    this.#events = [];
    return events;
  }
}

const NO_EVENTS: SseEvent[] = [];
