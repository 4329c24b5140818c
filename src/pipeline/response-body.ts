import { TOKEN_COUNT_ESTIMATE, TOKEN_COUNT_ESTIMATE_HEADER } from '../endpoints/count-tokens-endpoint.js';
import { headerMutation } from '../extproc/headers.js';
import type { HttpBody, ProcessingResponse } from '../extproc/messages.js';
import { CONTINUE_RESPONSE_BODY, responseBody } from '../extproc/responses.js';
import { describeExhaustedAttempts } from '../gateway/describe-exhausted-attempts.js';
import type { StreamTranslator, TranslatedResponse } from '../providers/provider-adapter.js';
import { decompressWhole, type StreamDecompressor } from '../streaming/decompressor.js';
import type { Exchange } from './exchange.js';
import type { RequestPipeline } from './request-pipeline.js';
import { endWithoutBody } from './response-headers.js';
import { withAccessLogFacts } from './with-access-log-facts.js';

const EMPTY = Buffer.alloc(0);

/**
 * Response body: a stream is translated chunk by chunk and shown to the chunk observers; a
 * buffered answer is translated whole when its last byte arrives, then shown to the observers.
 */
export function onResponseBody(exchange: Exchange, pipeline: RequestPipeline, message: HttpBody): ProcessingResponse | Promise<ProcessingResponse> {
  const chunk = message.body ?? EMPTY;
  const endOfStream = message.end_of_stream === true;
  const translator = exchange.translator;
  if (translator !== undefined) {
    if (exchange.decompressor !== undefined) return decompressThenStream(exchange, pipeline, exchange.decompressor, chunk, endOfStream);
    return streamChunk(exchange, pipeline, translator, chunk, endOfStream, chunk);
  }
  if (!endOfStream) return CONTINUE_RESPONSE_BODY;
  const reply = translateBufferedBody(exchange, pipeline, chunk);
  return reply instanceof Promise ? reply.then((done) => withAccessLogFacts(exchange, done)) : withAccessLogFacts(exchange, reply);
}

async function decompressThenStream(exchange: Exchange, pipeline: RequestPipeline, decompressor: StreamDecompressor, chunk: Buffer, endOfStream: boolean): Promise<ProcessingResponse> {
  let plain = await decompressor.push(chunk);
  if (endOfStream) plain = Buffer.concat([plain, await decompressor.end()]);
  return streamChunk(exchange, pipeline, exchange.translator!, plain, endOfStream, undefined);
}

/** The per-chunk hot path: translate, let each chunk observer see (or rewrite) what the client gets, end once. */
function streamChunk(
  exchange: Exchange,
  pipeline: RequestPipeline,
  translator: StreamTranslator,
  chunk: Buffer,
  endOfStream: boolean,
  original: Buffer | undefined,
): ProcessingResponse | Promise<ProcessingResponse> {
  let out = translator.push(chunk);
  if (endOfStream) {
    const tail = translator.end();
    if (tail.length > 0) out = out.length > 0 ? Buffer.concat([out, tail]) : tail;
  }
  return observeChunk(exchange, pipeline, out, endOfStream, original, 0);
}

/** Shows the chunk to the chunk observers from `from` on; one that answers with a promise (a moderation verdict) makes the rest wait. */
function observeChunk(exchange: Exchange, pipeline: RequestPipeline, chunk: Buffer, endOfStream: boolean, original: Buffer | undefined, from: number): ProcessingResponse | Promise<ProcessingResponse> {
  const observers = pipeline.chunkObservers;
  let out = chunk;
  for (let at = from; at < observers.length; at += 1) {
    const seen = observers[at]!.onChunk!(exchange, out, endOfStream);
    if (seen instanceof Promise) return seen.then((next) => observeChunk(exchange, pipeline, next, endOfStream, original, at + 1));
    out = seen;
  }
  // Unchanged bytes need no mutation: sending none saves copying the chunk back to Envoy.
  const reply = out === original ? CONTINUE_RESPONSE_BODY : responseBody(out);
  if (!endOfStream) return reply;
  let waiting: Promise<void> | undefined;
  for (const observer of pipeline.observers) waiting = observer.onStreamEnd?.(exchange) ?? waiting;
  return waiting === undefined ? withAccessLogFacts(exchange, reply) : waiting.then(() => withAccessLogFacts(exchange, reply));
}

function translateBufferedBody(exchange: Exchange, pipeline: RequestPipeline, received: Buffer): ProcessingResponse | Promise<ProcessingResponse> {
  const { dependencies } = exchange;
  const adapter = exchange.handling;
  const encoding = exchange.encoding;
  let body = received;
  if (encoding !== undefined) {
    try {
      body = decompressWhole(received, encoding);
    } catch (error) {
      dependencies.logger.warn({ err: error, request_id: exchange.context?.id, encoding }, 'upstream body could not be decompressed; passed on as received');
      endWithoutBody(exchange, pipeline, exchange.status, false);
      return responseBody(undefined, headerMutation({ 'content-encoding': encoding }));
    }
  }
  // The provider's bytes unchanged (decompressed if they came compressed), with any headers the translation adds.
  const plainBody = (extra: Record<string, string> = {}): ProcessingResponse => {
    if (encoding !== undefined) return responseBody(body, headerMutation({ ...extra, 'content-length': String(body.length) }));
    return Object.keys(extra).length === 0 ? CONTINUE_RESPONSE_BODY : responseBody(undefined, headerMutation(extra));
  };
  if (adapter === undefined || exchange.translation === undefined) {
    endWithoutBody(exchange, pipeline, exchange.status, false);
    return plainBody();
  }
  let translated: TranslatedResponse;
  try {
    translated = adapter.translateResponse({ status: exchange.status, headers: {}, body }, exchange.translation);
  } catch (error) {
    dependencies.logger.error({ err: error, request_id: exchange.context?.id }, 'response translation failed');
    endWithoutBody(exchange, pipeline, exchange.status, false);
    return plainBody();
  }
  const complete = translated.completeUsage;
  const context = exchange.context;
  if (complete !== undefined && context !== undefined) {
    // The provider reported no usage: its prompt is counted with the tokenizer, metered as an estimate.
    exchange.estimating = true;
    return dependencies.tokenCounter.count(context.endpoint.promptText(context.request)).then((tokens) => {
      exchange.usageEstimated = true;
      const answer = complete(tokens);
      // The client is told its usage is the gateway's count, as count_tokens answers are marked.
      return deliverTranslated(exchange, pipeline, { ...answer, headers: { ...answer.headers, [TOKEN_COUNT_ESTIMATE_HEADER]: TOKEN_COUNT_ESTIMATE } }, body, plainBody, 0, answer.body);
    });
  }
  return deliverTranslated(exchange, pipeline, translated, body, plainBody, 0, translated.body);
}

/** Shows a translated whole answer to the observers and hands it on (a provider's error, after every attempt, names them). */
function deliverTranslated(
  exchange: Exchange,
  pipeline: RequestPipeline,
  translated: TranslatedResponse,
  body: Buffer,
  plainBody: (extra?: Record<string, string>) => ProcessingResponse,
  from: number,
  answer: Buffer | undefined,
): ProcessingResponse | Promise<ProcessingResponse> {
  let out = answer;
  const observers = pipeline.observers;
  for (let at = from; at < observers.length; at += 1) {
    const observer = observers[at]!;
    if (observer.onBody === undefined) continue;
    const seen = observer.onBody(exchange, out, body, translated);
    // A moderation model is asked: the observers after this one see its outcome.
    if (seen instanceof Promise) return seen.then((next) => deliverTranslated(exchange, pipeline, translated, body, plainBody, at + 1, next));
    out = seen;
  }
  const context = exchange.context;
  const status = exchange.status;
  // Envoy retries these (retry_on); reaching the client means every attempt was used up.
  if (context !== undefined && context.attempts.length > 0 && (status >= 500 || status === 429)) {
    out = describeExhaustedAttempts(context.route.alias, context.attempts, status, out ?? body);
  }
  if (out === undefined) return plainBody(translated.headers);
  return responseBody(out, headerMutation({ ...translated.headers, 'content-length': String(out.length) }));
}
