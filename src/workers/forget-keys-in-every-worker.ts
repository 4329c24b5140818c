import type { Keyring } from '../governance/keyring.js';
import type { IpcEndpoint } from './worker-channel.js';

const FORGET_TAG = 'llm_gateway_forget_key';

interface ForgetNotice {
  readonly tag: typeof FORGET_TAG;
  readonly relay: true;
  readonly id: string;
}

function isForgetNotice(message: unknown): message is ForgetNotice {
  return typeof message === 'object' && message !== null && (message as ForgetNotice).tag === FORGET_TAG && typeof (message as ForgetNotice).id === 'string';
}

/**
 * A worker's keyring whose forget() reaches every worker: a key updated or revoked through the
 * admin API (answered by whichever worker took the connection) is read afresh from the shared
 * store by all of them at once, not after the other workers' cache time (as between replicas).
 */
export function forgetKeysInEveryWorker(keyring: Keyring, endpoint: IpcEndpoint): Keyring {
  endpoint.on('message', (message) => {
    if (isForgetNotice(message)) keyring.forget(message.id);
  });
  return {
    required: keyring.required,
    find: (secret, now) => keyring.find(secret, now),
    mightKnow: (secret) => keyring.mightKnow(secret),
    forget(id) {
      keyring.forget(id);
      endpoint.send?.({ tag: FORGET_TAG, relay: true, id } satisfies ForgetNotice);
    },
  };
}
