import { StoreUnavailableError, type GovernanceStore } from '../stores/governance-store.js';
import type { PrimaryChannel } from './worker-channel.js';

/** The store methods a worker may call on the primary's store, by name ("store.admit"). */
export const STORE_METHODS = ['admit', 'settle', 'state', 'spend', 'saveKey', 'getKey', 'listKeys'] as const;

/**
 * A sidecar worker's governance store: every call goes to the primary process, which holds
 * the one SQLite file (one process per file, by its exclusive lock) or the one memory store,
 * so budgets, rate limits and keys are counted once for all workers. Costs one IPC round trip
 * per call (admission and settlement each). Closing it closes nothing: the primary owns the store.
 */
export function createIpcGovernanceStore(channel: PrimaryChannel): GovernanceStore {
  const call = (method: (typeof STORE_METHODS)[number], ...args: unknown[]) => channel.call(`store.${method}`, args);
  return {
    admit: (request) => call('admit', request) as ReturnType<GovernanceStore['admit']>,
    settle: (settlement) => call('settle', settlement) as Promise<void>,
    state: (keyId, limits, now) => call('state', keyId, limits, now) as ReturnType<GovernanceStore['state']>,
    spend: (keyId, fromDay, toDay) => call('spend', keyId, fromDay, toDay) as ReturnType<GovernanceStore['spend']>,
    saveKey: (key) => call('saveKey', key) as Promise<void>,
    getKey: (id) => call('getKey', id) as ReturnType<GovernanceStore['getKey']>,
    listKeys: () => call('listKeys') as ReturnType<GovernanceStore['listKeys']>,
    close: async () => {},
  };
}

/** Rebuilds a store error from the primary: StoreUnavailableError keeps its meaning (governance.redis.on_unavailable). */
export function storeErrorOf(name: string, message: string): Error {
  if (name === 'StoreUnavailableError') return new StoreUnavailableError(message);
  const error = new Error(message);
  error.name = name;
  return error;
}
