import { performance } from 'node:perf_hooks';
import type { GovernanceStore } from '../stores/governance-store.js';
import type { Logger } from './logger.js';

/**
 * The store, with one debug line per call: the operation, the key id, what came back
 * (admitted or the refusal reason; a key found or not), and how long it took. Wrap only
 * when debug lines are on (main.ts), so at info the request path calls the store directly.
 * Arguments that are not ids or amounts are never logged; a failure logs its message only,
 * as a store error can carry a connection string in its other fields.
 */
export function logGovernanceStoreCalls(store: GovernanceStore, logger: Logger): GovernanceStore {
  const timed = async <T>(operation: string, fields: Record<string, unknown>, call: () => Promise<T>, describe?: (result: T) => Record<string, unknown>): Promise<T> => {
    const startedAt = performance.now();
    const elapsed = () => Math.round((performance.now() - startedAt) * 1000) / 1000;
    try {
      const result = await call();
      logger.debug({ operation, ...fields, ...describe?.(result), duration_ms: elapsed() }, 'governance store call');
      return result;
    } catch (error) {
      logger.debug({ operation, ...fields, error: (error as Error)?.message, duration_ms: elapsed() }, 'governance store call failed');
      throw error;
    }
  };
  return {
    admit: (request) =>
      timed('admit', { key_id: request.keyId, reservation_usd: request.reservationUsd }, () => store.admit(request), (result) =>
        result.admitted ? { admitted: true } : { admitted: false, reason: result.reason, retry_after_s: result.retryAfterSeconds },
      ),
    settle: (settlement) =>
      timed('settle', { key_id: settlement.keyId, model: settlement.model, cost_usd: settlement.costUsd, tokens: settlement.tokens }, () => store.settle(settlement)),
    state: (keyId, limits, now) => timed('state', { key_id: keyId }, () => store.state(keyId, limits, now)),
    spend: (keyId, fromDay, toDay) => timed('spend', { key_id: keyId, from_day: fromDay, to_day: toDay }, () => store.spend(keyId, fromDay, toDay), (records) => ({ records: records.length })),
    saveKey: (key) => timed('saveKey', { key_id: key.id }, () => store.saveKey(key)),
    getKey: (id) => timed('getKey', { key_id: id }, () => store.getKey(id), (key) => ({ found: key !== undefined })),
    listKeys: () => timed('listKeys', {}, () => store.listKeys(), (keys) => ({ keys: keys.length })),
    close: () => store.close(),
  };
}
