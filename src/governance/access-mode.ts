/**
 * Whether the gateway serves clients that bring no key. It is closed whenever a key can
 * exist: keys declared in the configuration, the admin API enabled (keys can be created at
 * any moment), a shared store (another replica can create them), or keys already in the
 * store from an earlier run. Open only when the operator asked for it and none of these holds.
 */
export interface AccessFacts {
  /** governance.mode as configured. */
  configuredMode: 'closed' | 'open';
  declaredKeys: number;
  adminApiEnabled: boolean;
  /** Whether other replicas write to the same store (Redis). */
  sharedStore: boolean;
  /** Keys the store holds at start; undefined when the store could not be asked (then keys may exist). */
  storedKeys: number | undefined;
}

export interface AccessDecision {
  open: boolean;
  /** Why the gateway is closed although open mode was asked for; empty otherwise. */
  overriddenBy: string[];
}

export function decideAccess(facts: AccessFacts): AccessDecision {
  const keysCanExist: string[] = [];
  if (facts.declaredKeys > 0) keysCanExist.push(`${facts.declaredKeys} key(s) are declared in the configuration`);
  if (facts.adminApiEnabled) keysCanExist.push('the admin API is enabled (governance.admin_key), so keys can be created at any time');
  if (facts.sharedStore) keysCanExist.push('the store is shared with other replicas, which can create keys');
  if (facts.storedKeys === undefined) keysCanExist.push('the store could not be asked whether it holds keys');
  else if (facts.storedKeys > 0) keysCanExist.push(`the store holds ${facts.storedKeys} key(s) created earlier`);
  if (facts.configuredMode === 'closed') return { open: false, overriddenBy: [] };
  return { open: keysCanExist.length === 0, overriddenBy: keysCanExist };
}
