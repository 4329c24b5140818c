import type { SpendRecord } from './governance-store.js';
import { fromMicroUsd } from './micro-usd.js';

/**
 * A spend row from a store's counters, the same way in every store: its cost is unknown
 * (null), not $0, when every one of its requests was served by a model with no price.
 */
export function spendRecord(day: string, model: string, microUsd: number, tokens: number, requests: number, unpricedRequests: number): SpendRecord {
  return { day, model, usd: requests > unpricedRequests ? fromMicroUsd(microUsd) : null, tokens, requests, unpricedRequests };
}
