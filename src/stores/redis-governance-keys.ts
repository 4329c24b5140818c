/**
 * Redis key names. Every key of one virtual key carries the hash tag `{<keyId>}`, so on
 * Redis Cluster they all live in one slot and one Lua script may touch them together.
 * The stored keys and their index are separate slots; they are never used in one script.
 */
export class RedisGovernanceKeys {
  readonly #prefix: string;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** String: the requests bucket's theoretical arrival time (rate-bucket.ts); it expires once the bucket is full. */
  requestBucket(keyId: string): string {
    return `${this.#scope(keyId)}rpm`;
  }

  /** String: the tokens bucket's, likewise. */
  tokenBucket(keyId: string): string {
    return `${this.#scope(keyId)}tpm`;
  }

  /** Sorted set: reservation id scored by when it expires. */
  reservations(keyId: string): string {
    return `${this.#scope(keyId)}reservations`;
  }

  /** Hash: reservation id -> "<periodId>|<micro-dollars>", what to release when it ends. */
  reservationHolds(keyId: string): string {
    return `${this.#scope(keyId)}reservation-holds`;
  }

  /** Scripts append a period id: a reservation is released from the period it was made in, which admit does not know in advance. */
  budgetPrefix(keyId: string): string {
    return `${this.#scope(keyId)}budget:`;
  }

  /** Hash with fields spent and reserved, in micro-dollars. */
  budget(keyId: string, periodId: string): string {
    return `${this.budgetPrefix(keyId)}${periodId}`;
  }

  settled(keyId: string, reservationId: string): string {
    return `${this.#scope(keyId)}settled:${reservationId}`;
  }

  /** Hash: "usd:<model>", "tokens:<model>", "requests:<model>" (the metric never contains ':', the model may). */
  spendDay(keyId: string, day: string): string {
    return `${this.#scope(keyId)}spend:${day}`;
  }

  storedKey(id: string): string {
    return `${this.#prefix}key:{${id}}`;
  }

  storedKeyIndex(): string {
    return `${this.#prefix}keys`;
  }

  #scope(keyId: string): string {
    return `${this.#prefix}{${keyId}}:`;
  }
}
