import type { SemanticPeers } from '../cache/create-response-cache.js';
import type { SharedSemanticEntry } from '../cache/redis-semantic-sync.js';
import type { IpcEndpoint } from './worker-channel.js';

const SEMANTIC_TAG = 'llm_gateway_semantic_entry';

interface SemanticNotice {
  readonly tag: typeof SEMANTIC_TAG;
  readonly relay: true;
  readonly entry: SharedSemanticEntry;
}

function isSemanticNotice(message: unknown): message is SemanticNotice {
  return typeof message === 'object' && message !== null && (message as SemanticNotice).tag === SEMANTIC_TAG;
}

/**
 * The other sidecar workers' semantic cache indexes (cache.store: memory): an entry one worker
 * stores is passed by the primary to every other worker, which adds it to its own index, as
 * replicas do through Redis. The vector travels as a Float32Array (structured clone).
 */
export function semanticPeersBetweenWorkers(endpoint: IpcEndpoint): SemanticPeers {
  return {
    publish: (entry) => void endpoint.send?.({ tag: SEMANTIC_TAG, relay: true, entry } satisfies SemanticNotice),
    onEntry: (listener) =>
      void endpoint.on('message', (message) => {
        if (isSemanticNotice(message)) listener(message.entry);
      }),
  };
}
