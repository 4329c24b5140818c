import type { TranslatedResponse } from '../providers/provider-adapter.js';
import type { Exchange } from './exchange.js';

/**
 * Sees the answer of a forwarded request on its way back to the client (meter and settle,
 * cache fill, output guardrails). Observers are shared and stateless; per-request facts live
 * on the Exchange. Every hook is optional and runs in the pipeline's order.
 */
export interface ResponseObserver {
  readonly name: string;
  /**
   * Response headers of a forwarded request, once its status (`exchange.status`) is known;
   * `set` collects the headers the client gets (the order of insertion is the order sent).
   */
  onHeaders?(exchange: Exchange, set: Record<string, string>): void;
  /** A 200 event stream is about to flow through `exchange.translator`. */
  onStreamStart?(exchange: Exchange): void;
  /**
   * A streamed chunk as the client will get it (after translation); returns the chunk to
   * send, rewritten or not. The per-chunk path: no allocation unless it rewrites. A promise
   * makes this chunk (and the observers after this one) wait: a moderation model is asked.
   */
  onChunk?(exchange: Exchange, chunk: Buffer, endOfStream: boolean): Buffer | Promise<Buffer>;
  /**
   * The stream ended with the upstream's last chunk. A promise makes the last reply wait
   * (the usage of a stream cut short is being counted).
   */
  onStreamEnd?(exchange: Exchange): Promise<void> | undefined;
  /**
   * A whole (buffered) answer, translated: `body` is the client's body (undefined: the
   * provider's bytes, `received`, unchanged). Returns the body to send.
   */
  onBody?(exchange: Exchange, body: Buffer | undefined, received: Buffer, translated: TranslatedResponse): Buffer | undefined | Promise<Buffer | undefined>;
  /** The response ended without an answer body to observe (a header-only answer, an untranslatable body). */
  onEnd?(exchange: Exchange, status: number, cutShort: boolean): void;
  /** The ext_proc stream ended after the request reached a provider, before its response finished. */
  onCutShort?(exchange: Exchange): void;
}
