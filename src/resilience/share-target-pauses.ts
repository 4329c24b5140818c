import { createRedisClient } from '../stores/create-redis-client.js';
import { redisUrlSecrets } from '../stores/redact-redis-url.js';
import type { TargetPauses } from './target-pauses.js';

export interface SharedTargetPauses extends TargetPauses {
  /** Stops listening and closes both Redis connections. */
  close(): Promise<void>;
}

export interface ShareTargetPausesOptions {
  /** The governance store's Redis (governance.redis.url). */
  url: string;
  /** governance.redis.key_prefix: the channel is `<prefix>target-pauses`. */
  keyPrefix: string;
  /** Wall-clock milliseconds: pauses travel between replicas as an end time. */
  clock: () => number;
  /** A Redis failure: pauses then stay this replica's own; requests never wait on Redis. */
  onError: (message: string) => void;
}

/** What one replica tells the others: the target id and the wall-clock end of its pause. */
interface PauseMessage {
  target: string;
  until: number;
}

/**
 * Shares pauses between sidecar replicas through the Redis the governance store uses: each
 * pause a replica learns is published (`<prefix>target-pauses`), and every replica applies
 * the pauses it hears to its own TargetPauses. Reads stay in memory (the request path never
 * waits on Redis); a Redis that is down only means each replica learns pauses from its own
 * traffic, as without Redis. Target ids are the same on every replica of one configuration.
 */
export function shareTargetPauses(local: TargetPauses, options: ShareTargetPausesOptions): SharedTargetPauses {
  const { clock } = options;
  const channel = `${options.keyPrefix}target-pauses`;
  const secrets = redisUrlSecrets(options.url);
  // The driver's messages may quote the URL: its credentials are scrubbed before logging.
  const report = (error: unknown) => {
    let message = error instanceof Error ? error.message : String(error);
    for (const secret of secrets) message = message.split(secret).join('***');
    options.onError(message);
  };
  const retryStrategy = (attempt: number) => Math.min(attempt * 100, 1000);
  // Publishing fails fast when disconnected; subscribing is queued until connected, and renewed on reconnect.
  const publisher = createRedisClient(options.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 500, commandTimeout: 500, retryStrategy });
  const subscriber = createRedisClient(options.url, { connectTimeout: 500, retryStrategy });
  let lastError: string | undefined;
  const onConnectionError = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    // A Redis that stays down fails every reconnection: said once, not every second.
    if (message !== lastError) report(error);
    lastError = message;
  };
  publisher.on('error', onConnectionError);
  subscriber.on('error', onConnectionError);
  subscriber.on('ready', () => (lastError = undefined));
  subscriber.on('message', (_channel: string, text: string) => {
    const message = readMessage(text);
    if (message !== undefined) local.pause(message.target, message.until - clock());
  });
  subscriber.subscribe(channel).catch(report);
  return {
    pause(targetId, milliseconds) {
      local.pause(targetId, milliseconds);
      if (!(milliseconds > 0)) return;
      const message: PauseMessage = { target: targetId, until: clock() + milliseconds };
      publisher.publish(channel, JSON.stringify(message)).catch(report);
    },
    remaining: (targetId) => local.remaining(targetId),
    async close() {
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}

function readMessage(text: string): PauseMessage | undefined {
  try {
    const value = JSON.parse(text) as Partial<PauseMessage> | null;
    if (typeof value?.target === 'string' && typeof value.until === 'number' && Number.isFinite(value.until)) return { target: value.target, until: value.until };
  } catch {
    // Not a message of ours.
  }
  return undefined;
}
