import type { TargetPauses } from '../resilience/target-pauses.js';
import type { IpcEndpoint } from './worker-channel.js';

/** The tag of a pause passed between workers through the primary. */
const PAUSE_TAG = 'llm_gateway_pause';

/** One worker's pause, as the primary passes it on: the target and the wall-clock end. */
export interface PauseNotice {
  readonly tag: typeof PAUSE_TAG;
  /** The primary passes a message marked so to every other worker (isRelayed). */
  readonly relay: true;
  readonly target: string;
  readonly until: number;
}

/** A message one worker sends for all the others (a pause, a key changed through the admin API). */
export function isRelayed(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { relay?: unknown }).relay === true;
}

export function isPauseNotice(message: unknown): message is PauseNotice {
  return typeof message === 'object' && message !== null && (message as PauseNotice).tag === PAUSE_TAG && typeof (message as PauseNotice).target === 'string';
}

/**
 * A worker's TargetPauses, shared with the other workers of this sidecar (without Redis, which
 * shareTargetPauses uses instead): each pause this worker learns goes to the primary, which
 * passes it to every other worker, and the pauses the others learn are applied here. Reads
 * stay in this worker's memory. The router and attempt streams of one request may run in
 * different workers, so without this a pause learnt by one would not keep the other's
 * requests away from the target.
 *
 * @param clock wall-clock milliseconds: pauses travel as an end time.
 */
export function sharePausesBetweenWorkers(local: TargetPauses, endpoint: IpcEndpoint, clock: () => number): TargetPauses {
  endpoint.on('message', (message) => {
    if (isPauseNotice(message)) local.pause(message.target, message.until - clock());
  });
  return {
    pause(targetId, milliseconds) {
      local.pause(targetId, milliseconds);
      if (milliseconds > 0) endpoint.send?.({ tag: PAUSE_TAG, relay: true, target: targetId, until: clock() + milliseconds } satisfies PauseNotice);
    },
    remaining: (targetId) => local.remaining(targetId),
  };
}
