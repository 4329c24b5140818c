import type { AdmissionRequest, AdmissionResult, GovernanceStore, LimitState, Settlement, StoredKey } from '../../src/stores/governance-store.js';
import { StoreUnavailableError } from '../../src/stores/governance-store.js';

/** A store that records calls and answers as scripted, for unit tests of the policy around it. */
export interface FakeGovernanceStore extends GovernanceStore {
  readonly admissions: AdmissionRequest[];
  readonly settlements: Settlement[];
  readonly keys: Map<string, StoredKey>;
  next: AdmissionResult | 'unavailable' | undefined;
}

export const EMPTY_STATE: LimitState = { requests: undefined, tokens: undefined, parallel: undefined, budget: undefined };

export function fakeGovernanceStore(): FakeGovernanceStore {
  const store: FakeGovernanceStore = {
    admissions: [],
    settlements: [],
    keys: new Map(),
    next: undefined,
    async admit(request) {
      store.admissions.push(request);
      if (store.next === 'unavailable') throw new StoreUnavailableError('redis unreachable');
      return store.next ?? { admitted: true, state: EMPTY_STATE };
    },
    async settle(settlement) {
      store.settlements.push(settlement);
    },
    async state() {
      return EMPTY_STATE;
    },
    async spend() {
      return [];
    },
    async saveKey(key) {
      store.keys.set(key.id, key);
    },
    async getKey(id) {
      if (store.next === 'unavailable') throw new StoreUnavailableError('redis unreachable');
      return store.keys.get(id);
    },
    async listKeys() {
      return [...store.keys.values()];
    },
    async close() {},
  };
  return store;
}
