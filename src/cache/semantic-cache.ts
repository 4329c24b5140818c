import { durationMilliseconds } from '../config/duration.js';
import type { SemanticCacheConfiguration } from '../config/schema.js';
import type { CachedAnswer } from './cached-answer.js';
import { cacheKey } from './cache-key.js';
import type { Embedder } from './gateway-embedder.js';
import type { SemanticIndex } from './semantic-index.js';
import type { SharedSemanticEntry } from './redis-semantic-sync.js';
import { guardSignature } from './semantic-guard.js';
import { semanticSubject } from './semantic-subject.js';

/** A stored answer served for a request: `similarity` is set when it was found by meaning, not by its exact key. */
export interface CacheHit extends CachedAnswer {
  similarity?: number;
}

/** One request's dealings with the semantic cache; `vector` is filled by the lookup and kept for the fill. */
export interface SemanticPlan {
  /**
   * Hash of the scope, endpoint, model alias, answer-changing headers, the request without its
   * last turn and, when the precision guards are on, the last turn's guard signature
   * (semantic-guard.ts): a turn with other numbers or the other polarity is never compared.
   */
  readonly partition: string;
  readonly text: string;
  readonly embeddingsModel: string;
  readonly threshold: number;
  readonly timeoutMs: number;
  /** The client's credential, sent with the embedding call (never logged, never stored). */
  readonly credential: string | undefined;
  vector: Float32Array | undefined;
}

/**
 * The semantic stage behind the exact-match cache: the last user turn is embedded (through
 * the gateway, see createGatewayEmbedder) and looked up among answers stored in the same
 * partition. The partition key holds everything else of the request, the earlier turns and
 * system prompt included: the same question asked in another conversation, with other
 * parameters, of another model or by another tenant, is never near. Only the last turn is
 * embedded, so what is compared by meaning is one question, and nothing else. With the
 * precision guards on (the default), the partition also holds that turn's numbers and whether
 * it is negated: embeddings score "a 3-day trip" and "a 7-day trip" as near as paraphrases.
 */
export class SemanticCache {
  readonly #index: SemanticIndex;
  readonly #embed: Embedder;
  readonly #share: ((entry: SharedSemanticEntry) => void) | undefined;
  readonly #clock: () => number;

  /** `share`: hands each stored entry to the other replicas (RedisSemanticSync); `clock`: wall-clock milliseconds. */
  constructor(dependencies: { index: SemanticIndex; embed: Embedder; share?: (entry: SharedSemanticEntry) => void; clock?: () => number }) {
    this.#index = dependencies.index;
    this.#embed = dependencies.embed;
    this.#share = dependencies.share;
    this.#clock = dependencies.clock ?? Date.now;
  }

  /** The plan for a request the exact cache will look up or fill, or undefined when it may not be served by meaning (see semanticSubject). */
  plan(input: {
    settings: SemanticCacheConfiguration;
    scope: string;
    endpoint: string;
    format: 'openai' | 'anthropic';
    model: string;
    body: unknown;
    headers: Readonly<Record<string, string | undefined>> | undefined;
    credential: string | undefined;
  }): SemanticPlan | undefined {
    const subject = semanticSubject(input.format, input.body);
    if (subject === undefined) return undefined;
    return {
      partition: cacheKey({
        scope: input.scope,
        endpoint: `semantic:${input.endpoint}`,
        model: input.model,
        request: subject.context,
        headers: input.headers,
        // "" (every guard off) adds nothing: the partition is then the key it was before the guards.
        extra: guardSignature(subject.text, { numbers: input.settings.require_same_numbers, negation: input.settings.require_same_negation }) || undefined,
      }),
      text: subject.text,
      embeddingsModel: input.settings.embeddings_model,
      threshold: input.settings.threshold,
      timeoutMs: durationMilliseconds(input.settings.timeout),
      credential: input.credential,
      vector: undefined,
    };
  }

  /**
   * Embeds the request's last turn (kept on the plan for the fill) and, when `reads`, returns
   * the nearest stored answer at or above the threshold. Never rejects: an embedding that
   * fails or times out is a miss, and the answer will not be stored by meaning.
   */
  async lookup(plan: SemanticPlan, reads: boolean): Promise<CacheHit | undefined> {
    const vector = await this.#embed({ model: plan.embeddingsModel, text: plan.text, credential: plan.credential, timeoutMs: plan.timeoutMs });
    if (vector === undefined) return undefined;
    plan.vector = vector;
    if (!reads) return undefined;
    const match = this.#index.nearest(plan.partition, vector, plan.threshold);
    return match === undefined ? undefined : { ...match.answer, similarity: match.similarity };
  }

  /** Stores the answer under the plan's vector (nothing when the embedding failed). */
  fill(plan: SemanticPlan, answer: CachedAnswer, ttlMs: number): void {
    if (plan.vector === undefined) return;
    this.#index.add(plan.partition, plan.vector, answer, ttlMs);
    this.#share?.({ partition: plan.partition, vector: plan.vector, answer, expiresAt: this.#clock() + ttlMs });
  }
}
