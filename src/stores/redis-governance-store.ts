import type { Redis } from 'ioredis';
import { createRedisClient } from './create-redis-client.js';
import { budgetPeriod } from './budget-period.js';
import {
  StoreUnavailableError,
  type AdmissionRequest,
  type AdmissionResult,
  type GovernanceStore,
  type KeyLimits,
  type LimitState,
  type RefusalReason,
  type Settlement,
  type SpendRecord,
  type StoredKey,
} from './governance-store.js';
import { limitState, retryAfterSeconds, type LimitCounters } from './limit-counters.js';
import { toMicroUsd } from './micro-usd.js';
import { redactRedisUrl, redisUrlSecrets } from './redact-redis-url.js';
import { RedisGovernanceKeys } from './redis-governance-keys.js';
import { admitScript, settleScript, stateScript } from './redis-governance-scripts.js';
import { RedisScript } from './redis-script.js';
import { retention } from './retention.js';
import { spendRecord } from './spend-record.js';
import { maxTokenBacklogMs } from './rate-bucket.js';
import { daysInRange, utcDay } from './spend-days.js';
import { compareStoredKeys, storedKeyFromJson, storedKeyToJson } from './stored-key-json.js';

export interface RedisGovernanceStoreOptions {
  /** redis://[user:password@]host:port[/db]; the password never appears in an error. */
  url: string;
  /** Prepended to every key; default "llmgw:". */
  keyPrefix?: string;
  /** How long one connection attempt may take, and how long a call waits for an attempt under way; default 500. */
  connectTimeoutMs?: number;
  /** How long one command may take before the call fails; default 500. */
  commandTimeoutMs?: number;
}

export interface RedisGovernanceStoreDependencies {
  client: Redis;
  keyPrefix: string;
  /** The URL as errors may show it (redactRedisUrl). */
  redactedUrl: string;
  /** Strings scrubbed from any message the driver composed (the URL's user and password). */
  secrets: string[];
  /** How long a call waits for a connection attempt under way before failing. */
  connectTimeoutMs: number;
}

const refusalReasons: ReadonlyArray<RefusalReason | undefined> = [undefined, 'requests_per_minute', 'tokens_per_minute', 'max_parallel', 'budget'];
const spendRetentionSeconds = retention.spendDays * 24 * 60 * 60;

/**
 * Governance state in Redis: every replica sees the same counters. Each admission,
 * settlement and state read is one Lua script on one key's hash tag, so it is atomic across
 * replicas and works on Redis Cluster. A Redis that cannot be reached makes every call fail
 * fast with StoreUnavailableError (no offline queue, short timeouts) while the client keeps
 * reconnecting in the background.
 */
export class RedisGovernanceStore implements GovernanceStore {
  readonly #client: Redis;
  readonly #keys: RedisGovernanceKeys;
  readonly #redactedUrl: string;
  readonly #secrets: string[];
  readonly #connectTimeoutMs: number;
  readonly #admitScript = new RedisScript(admitScript);
  readonly #stateScript = new RedisScript(stateScript);
  readonly #settleScript = new RedisScript(settleScript);
  #connecting: Promise<void> | undefined;
  /** Why the client last lost or failed to get a connection, to say more than "not connected". */
  #connectionError: string | undefined;

  constructor(dependencies: RedisGovernanceStoreDependencies) {
    this.#client = dependencies.client;
    this.#keys = new RedisGovernanceKeys(dependencies.keyPrefix);
    this.#redactedUrl = dependencies.redactedUrl;
    this.#secrets = dependencies.secrets;
    this.#connectTimeoutMs = dependencies.connectTimeoutMs;
    // Also keeps the client's 'error' events, which every call reports in its own way, from crashing the process.
    this.#client.on('error', (error: unknown) => {
      this.#connectionError = messageOf(error);
    });
    this.#client.on('ready', () => {
      this.#connectionError = undefined;
    });
  }

  async admit(request: AdmissionRequest): Promise<AdmissionResult> {
    const { keyId, now, limits } = request;
    const period = limits.budget ? budgetPeriod(limits.budget.period, now) : undefined;
    const reply = await this.#call('admit', () =>
      this.#admitScript.run(this.#client, this.#limitKeys(keyId, period?.id ?? ''), [
        now,
        '',
        optional(limits.requestsPerMinute),
        optional(limits.tokensPerMinute),
        optional(limits.maxParallel),
        limits.budget ? toMicroUsd(limits.budget.usd) : '',
        request.reservationId,
        toMicroUsd(request.reservationUsd),
        now + request.reservationTtlMs,
        period?.id ?? '',
        this.#keys.budgetPrefix(keyId),
        budgetTtlMs(period?.resetsAt, now),
      ]),
    );
    const values = scriptReply(reply, 6);
    const reason = refusalReasons[values[0] as number];
    const counters = countersFrom(values.slice(1));
    if (reason === undefined) return { admitted: true, state: limitState(counters, limits, now) };
    return { admitted: false, reason, retryAfterSeconds: retryAfterSeconds(reason, counters, limits, now), state: limitState(counters, limits, now) };
  }

  async settle(settlement: Settlement): Promise<void> {
    const { keyId, now, limits, reservationId } = settlement;
    const period = limits.budget ? budgetPeriod(limits.budget.period, now) : undefined;
    await this.#call('settle', () =>
      this.#settleScript.run(
        this.#client,
        [
          this.#keys.settled(keyId, reservationId),
          this.#keys.reservations(keyId),
          this.#keys.reservationHolds(keyId),
          this.#keys.budget(keyId, period?.id ?? ''),
          this.#keys.tokenBucket(keyId),
          this.#keys.spendDay(keyId, utcDay(now)),
        ],
        [
          reservationId,
          this.#keys.budgetPrefix(keyId),
          settlement.costUsd === undefined ? '' : toMicroUsd(settlement.costUsd),
          Math.round(settlement.tokens),
          settlement.model ?? '',
          period ? '1' : '',
          budgetTtlMs(period?.resetsAt, now),
          optional(limits.tokensPerMinute),
          now,
          spendRetentionSeconds,
          retention.settledMarkerMs,
          settlement.model === undefined ? '1' : '',
          maxTokenBacklogMs,
        ],
      ),
    );
  }

  async state(keyId: string, limits: KeyLimits, now: number): Promise<LimitState> {
    const periodId = limits.budget ? budgetPeriod(limits.budget.period, now).id : '';
    const reply = await this.#call('state', () => this.#stateScript.run(this.#client, this.#limitKeys(keyId, periodId), [now, this.#keys.budgetPrefix(keyId)]));
    return limitState(countersFrom(scriptReply(reply, 5)), limits, now);
  }

  async spend(keyId: string, fromDay: string, toDay: string): Promise<SpendRecord[]> {
    const days = daysInRange(fromDay, toDay);
    // One key's days share its hash tag, so on a cluster these all go to one node.
    const hashes = await this.#call('spend', () => Promise.all(days.map((day) => this.#client.hgetall(this.#keys.spendDay(keyId, day)))));
    const records: SpendRecord[] = [];
    days.forEach((day, index) => {
      const byModel = new Map<string, { usd: number; tokens: number; requests: number; unpriced: number }>();
      for (const [field, value] of Object.entries(hashes[index] ?? {})) {
        const separator = field.indexOf(':');
        const metric = field.slice(0, separator);
        const model = field.slice(separator + 1);
        let counts = byModel.get(model);
        if (!counts) {
          counts = { usd: 0, tokens: 0, requests: 0, unpriced: 0 };
          byModel.set(model, counts);
        }
        if (metric === 'usd' || metric === 'tokens' || metric === 'requests' || metric === 'unpriced') counts[metric] = Number(value);
      }
      for (const model of [...byModel.keys()].sort()) {
        const counts = byModel.get(model)!;
        records.push(spendRecord(day, model, counts.usd, counts.tokens, counts.requests, counts.unpriced));
      }
    });
    return records;
  }

  async saveKey(key: StoredKey): Promise<void> {
    // The key first, then the index: an index entry never names a key that is not there.
    await this.#call('saveKey', async () => {
      await this.#client.set(this.#keys.storedKey(key.id), storedKeyToJson(key));
      await this.#client.sadd(this.#keys.storedKeyIndex(), key.id);
    });
  }

  async getKey(id: string): Promise<StoredKey | undefined> {
    const json = await this.#call('getKey', () => this.#client.get(this.#keys.storedKey(id)));
    return json === null ? undefined : storedKeyFromJson(json);
  }

  async listKeys(): Promise<StoredKey[]> {
    const jsons = await this.#call('listKeys', async () => {
      const ids = await this.#client.smembers(this.#keys.storedKeyIndex());
      // Separate GETs, not MGET: each key is its own slot on a cluster. They are still written back to back.
      return Promise.all(ids.map((id) => this.#client.get(this.#keys.storedKey(id))));
    });
    return jsons.filter((json): json is string => json !== null).map(storedKeyFromJson).sort(compareStoredKeys);
  }

  async close(): Promise<void> {
    if (this.#client.status === 'ready') {
      try {
        await this.#client.quit();
        return;
      } catch {
        // Falls through to dropping the connection.
      }
    }
    this.#client.disconnect();
  }

  #limitKeys(keyId: string, periodId: string): string[] {
    return [
      this.#keys.requestBucket(keyId),
      this.#keys.tokenBucket(keyId),
      this.#keys.reservations(keyId),
      this.#keys.reservationHolds(keyId),
      this.#keys.budget(keyId, periodId),
    ];
  }

  async #call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    await this.#untilConnectAttemptEnds();
    try {
      return await run();
    } catch (error) {
      // A new error carrying only a scrubbed message: the driver's own error can hold the
      // command and its arguments (an AUTH with the password), so it is not attached as cause.
      throw new StoreUnavailableError(`The Redis governance store at ${this.#redactedUrl} failed to ${operation}: ${this.#scrub(this.#describe(error))}`);
    }
  }

  /**
   * Without an offline queue a command sent while a connection is being set up fails at
   * once, which would refuse the first requests after start-up. So a call waits for a
   * connection attempt under way (bounded by the connect timeout); while Redis is down
   * between attempts, calls fail at once.
   */
  async #untilConnectAttemptEnds(): Promise<void> {
    const status = this.#client.status;
    if (status !== 'connecting' && status !== 'connect') return;
    this.#connecting ??= new Promise<void>((resolve) => {
      const client = this.#client;
      const done = (): void => {
        clearTimeout(timer);
        client.off('ready', done);
        client.off('close', done);
        this.#connecting = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.#connectTimeoutMs);
      client.once('ready', done);
      client.once('close', done);
    });
    await this.#connecting;
  }

  #describe(error: unknown): string {
    const message = messageOf(error);
    // ioredis says "Stream isn't writeable ..." when it has no connection; the reason is in the last 'error' event.
    if (this.#client.status !== 'ready' || message.startsWith("Stream isn't writeable")) {
      return `not connected${this.#connectionError === undefined ? '' : ` (${this.#connectionError})`}`;
    }
    return message;
  }

  #scrub(message: string): string {
    return this.#secrets.reduce((scrubbed, secret) => scrubbed.split(secret).join('***'), message);
  }
}

/**
 * A store on its own ioredis client. The client fails fast (no offline queue, one attempt
 * per command, short timeouts) so a request never waits on a Redis that is gone, and
 * reconnects forever in the background so the store recovers by itself.
 */
export function createRedisGovernanceStore(options: RedisGovernanceStoreOptions): RedisGovernanceStore {
  const connectTimeoutMs = options.connectTimeoutMs ?? 500;
  const client = createRedisClient(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs ?? 500,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
  return new RedisGovernanceStore({
    client,
    keyPrefix: options.keyPrefix ?? 'llmgw:',
    redactedUrl: redactRedisUrl(options.url),
    secrets: redisUrlSecrets(options.url),
    connectTimeoutMs,
  });
}

function optional(value: number | undefined): number | string {
  return value === undefined ? '' : value;
}

/** A budget period is kept a while past its end; "total" forever (0). */
function budgetTtlMs(resetsAt: number | undefined, now: number): number {
  return resetsAt === undefined ? 0 : resetsAt - now + retention.budgetPeriodAfterEndMs;
}

function countersFrom(values: Array<number | string>): LimitCounters {
  const [requestsTat, tokensTat, active, spent, reserved] = values;
  return {
    requests: tat(requestsTat),
    tokens: tat(tokensTat),
    active: Number(active ?? 0),
    spentMicroUsd: Number(spent ?? 0),
    reservedMicroUsd: Number(reserved ?? 0),
  };
}

function tat(value: number | string | undefined): number | undefined {
  return value === undefined || value === '' ? undefined : Number(value);
}

/** A script's reply: integers, and bucket times as strings ('' for none). */
function scriptReply(reply: unknown, length: number): Array<number | string> {
  if (!Array.isArray(reply) || reply.length !== length || !reply.every((value) => typeof value === 'number' || (typeof value === 'string' && (value === '' || Number.isFinite(Number(value)))))) {
    throw new StoreUnavailableError(`The Redis governance script answered ${JSON.stringify(reply)}, not ${length} counters.`);
  }
  return reply as Array<number | string>;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
