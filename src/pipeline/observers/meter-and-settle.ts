import { METADATA_NAMESPACE } from '../../config/envoy-contract.js';
import { toProtoStruct } from '../../extproc/proto-struct.js';
import { estimateCutShortUsage } from '../../gateway/estimate-usage.js';
import { lastAttempt, type RequestContext } from '../../gateway/request-context.js';
import type { StreamTranslator } from '../../providers/provider-adapter.js';
import type { Exchange } from '../exchange.js';
import type { ResponseObserver } from '../response-observer.js';

/**
 * The request's single ending (pipeline/request-lifecycle.ts): what the answer cost is
 * metered once, the admission settled with it (or, cut short, with what was delivered), and
 * Envoy's access log gets the facts on the reply that ends the response.
 */
export const meterAndSettle: ResponseObserver = {
  name: 'meter and settle',
  onChunk(exchange, chunk) {
    if (chunk.length > 0) {
      if (exchange.firstByteAt === undefined) exchange.firstByteAt = exchange.dependencies.now();
      exchange.deliveredEvents += countEvents(chunk);
    }
    return chunk;
  },
  onStreamEnd(exchange) {
    const translator = exchange.translator!;
    const context = exchange.context;
    if (!translator.complete && context !== undefined && !exchange.metered && !exchange.estimating) {
      // The upstream ended without its totals (cut off, or failed mid-stream): metered by what was
      // delivered. The last bytes wait for the count, so the access log gets the metered figures.
      return estimateThenFinish(exchange, context, translator, exchange.status);
    }
    exchange.usage = translator.usage;
    exchange.servedModel = translator.model;
    finish(exchange, exchange.status, false);
    return undefined;
  },
  onBody(exchange, body, _received, translated) {
    exchange.usage = translated.usage;
    exchange.servedModel = translated.model;
    exchange.firstByteAt = exchange.dependencies.now();
    // A stream that ended while the prompt was counted is settled as cut short.
    finish(exchange, exchange.status, exchange.lifecycle.state === 'cancelled');
    return body;
  },
  onEnd(exchange, status, cutShort) {
    finish(exchange, status, cutShort);
  },
  onCutShort(exchange) {
    const context = exchange.context;
    if (context === undefined || exchange.metered || exchange.estimating) return;
    // 499: nginx's "client closed request", the customary code for a request that ended without a status.
    const status = exchange.status || 499;
    const translator = exchange.translator;
    if (translator === undefined) {
      finish(exchange, status, true);
      return;
    }
    void estimateThenFinish(exchange, context, translator, status);
  },
};

/**
 * Meters a stream that ended without the provider's totals by what it delivered (see
 * estimateCutShortUsage). Counting may wait for the tokenizer's thread; finish still runs
 * exactly once, and resolves this promise.
 */
async function estimateThenFinish(exchange: Exchange, context: RequestContext, translator: StreamTranslator, status: number): Promise<void> {
  exchange.estimating = true;
  exchange.servedModel = translator.model;
  // The role chunk carries no output token.
  const delivered = { contentEvents: Math.max(0, exchange.deliveredEvents - 1), output: translator.delivered };
  try {
    exchange.usage = await estimateCutShortUsage(() => context.endpoint.promptText(context.request), translator.usage, delivered, exchange.dependencies.tokenCounter);
    exchange.usageEstimated = true;
  } catch (error) {
    exchange.usage = translator.usage;
    exchange.dependencies.logger.warn({ err: error, request_id: context.id }, 'usage of a cut-short stream could not be estimated');
  }
  finish(exchange, status, true);
}

/** Meters and settles once: cost from the usage and the target that served, the access log's facts, the meter's record. */
function finish(exchange: Exchange, status: number, cutShort: boolean): void {
  if (exchange.metered || exchange.context === undefined) return;
  exchange.metered = true;
  const { pricing, meter, now } = exchange.dependencies;
  const context = exchange.context;
  const usage = exchange.usage;
  const served = lastAttempt(context)?.target;
  const costUsd = usage !== undefined && served !== undefined ? pricing.cost(served, usage) : undefined;
  const lifecycle = exchange.lifecycle;
  const admission = lifecycle.admission;
  // Without usage nothing was metered (cost 0); with usage and no price, the cost is unknown (undefined).
  const settlement = { model: context.route.alias, costUsd: usage === undefined ? 0 : costUsd, tokens: usage?.totalTokens ?? 0 };
  if (cutShort && lifecycle.state === 'cancelled') lifecycle.settleCutShort(settlement);
  else lifecycle.finished(settlement);
  exchange.accessLogFacts = toProtoStruct({
    [METADATA_NAMESPACE]: {
      path: exchange.clientPath,
      model: context.route.alias,
      model_served: exchange.servedModel ?? served?.model ?? null,
      provider: served?.provider.name ?? null,
      attempts: context.attempts.length,
      prompt_tokens: usage?.promptTokens ?? null,
      completion_tokens: usage?.completionTokens ?? null,
      total_tokens: usage?.totalTokens ?? null,
      cost_usd: costUsd ?? null,
      key_alias: admission?.key.alias ?? null,
      ...(cutShort ? { outcome: 'cut_short' } : {}),
      ...(exchange.guard?.cutBy !== undefined ? { guardrail: exchange.guard.cutBy } : {}),
    },
  });
  meter.record({
    context,
    status,
    costUsd,
    keyAlias: admission?.key.alias,
    usage,
    servedModel: exchange.servedModel,
    firstByteAt: exchange.firstByteAt,
    endedAt: now(),
    cutShort,
    usageEstimated: exchange.usageEstimated,
  });
}

const EVENT_END = Buffer.from('\n\n');

/** Server-sent events in a chunk the translators wrote (they always end events with a blank line). */
function countEvents(chunk: Buffer): number {
  let count = 0;
  for (let at = chunk.indexOf(EVENT_END); at !== -1; at = chunk.indexOf(EVENT_END, at + 2)) count += 1;
  return count;
}
