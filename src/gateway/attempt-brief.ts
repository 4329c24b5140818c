import { BRIEF_METADATA_KEYS, metadataAttribute } from '../config/envoy-contract.js';
import type { RequestContext } from './request-context.js';

/**
 * What every attempt of a model with several targets needs to know about its request, beyond
 * the body: the router processor writes it as dynamic metadata (strings, so Envoy hands each
 * back as one CEL attribute), and the attempt processor reads it from the attributes of its
 * request headers. Nothing travels through the sidecar's memory, so the attempt may be
 * served by another sidecar process than the router (sidecar.workers, or several replicas).
 */
export interface AttemptBrief {
  readonly requestId: string;
  /** The model alias the client asked for. */
  readonly model: string;
  /** The endpoint's name (Endpoint.name). */
  readonly endpoint: string;
  /** The route's target ids (a level variant's, when only some levels can serve the request). */
  readonly targets: readonly string[];
  /** Target id -> why it cannot serve this request (a GatewayError code). */
  readonly skipped: ReadonlyMap<string, string>;
  /** The attempts written before this one: target id and wall-clock ms. */
  readonly tried: readonly TriedAttempt[];
}

export type TriedAttempt = readonly [targetId: string, sentAt: number];

/** The brief's metadata entries (without the request id, which the router already writes). */
export function writeAttemptBrief(context: RequestContext): Record<string, string> {
  const brief: Record<string, string> = {
    [BRIEF_METADATA_KEYS.model]: context.route.alias,
    [BRIEF_METADATA_KEYS.endpoint]: context.endpoint.name,
    [BRIEF_METADATA_KEYS.targets]: context.route.targets.map((target) => target.id).join(' '),
  };
  if (context.skipped !== undefined && context.skipped.size > 0) {
    const skipped: Record<string, string> = {};
    for (const [id, entry] of context.skipped) skipped[id] = entry.reason.code;
    brief[BRIEF_METADATA_KEYS.skipped] = JSON.stringify(skipped);
  }
  return brief;
}

/** The attributes Envoy sent, as the ext_proc message carries them (a Struct of CEL attribute -> value). */
export type AttributeFields = Readonly<Record<string, { stringValue?: string } | undefined>> | undefined;

/** The brief from an attempt's attributes; undefined when the router wrote none (the request id is missing). */
export function readAttemptBrief(fields: AttributeFields, requestId: string | undefined): AttemptBrief | undefined {
  if (requestId === undefined) return undefined;
  const text = (key: string) => fields?.[metadataAttribute(key)]?.stringValue;
  const skipped = text(BRIEF_METADATA_KEYS.skipped);
  const targets = text(BRIEF_METADATA_KEYS.targets);
  return {
    requestId,
    model: text(BRIEF_METADATA_KEYS.model) ?? '',
    endpoint: text(BRIEF_METADATA_KEYS.endpoint) ?? '',
    targets: targets === undefined || targets === '' ? [] : targets.split(' '),
    skipped: new Map(skipped === undefined ? [] : Object.entries(JSON.parse(skipped) as Record<string, string>)),
    tried: readTried(text(BRIEF_METADATA_KEYS.tried)),
  };
}

/** The tried list as written (a JSON array of [id, ms]); anything unreadable is an empty list. */
export function readTried(value: string | undefined): TriedAttempt[] {
  if (value === undefined || value === '') return [];
  try {
    const parsed: unknown = JSON.parse(value);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter((entry): entry is TriedAttempt => Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number');
  } catch {
    return [];
  }
}
