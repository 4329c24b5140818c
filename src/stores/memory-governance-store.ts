import { budgetPeriod } from './budget-period.js';
import type { AdmissionRequest, AdmissionResult, GovernanceStore, KeyLimits, LimitState, Settlement, SpendRecord, StoredKey } from './governance-store.js';
import { firstRefusal, limitState, retryAfterSeconds, type LimitCounters } from './limit-counters.js';
import { toMicroUsd } from './micro-usd.js';
import { retention } from './retention.js';
import { spendRecord } from './spend-record.js';
import { afterRequest, afterTokens } from './rate-bucket.js';
import { daysInRange, utcDay } from './spend-days.js';
import { compareStoredKeys, storedKeyFromJson, storedKeyToJson } from './stored-key-json.js';

const spendRetentionMs = retention.spendDays * 24 * 60 * 60_000;

/**
 * Governance state in this process: one replica, nothing to set up. Every method does its
 * checking and changing synchronously (no await in between), which is what makes it atomic
 * on Node's single thread. It keeps and expires exactly what the Redis store does, so the
 * two answer alike (the contract tests run against both).
 */
export class MemoryGovernanceStore implements GovernanceStore {
  readonly #keys = new Map<string, KeyCounters>();
  readonly #storedKeys = new Map<string, string>();

  async admit(request: AdmissionRequest): Promise<AdmissionResult> {
    const { keyId, now, limits } = request;
    const counters = this.#countersOf(keyId);
    counters.purgeExpiredReservations(now);
    const reservationMicroUsd = toMicroUsd(request.reservationUsd);
    const before = counters.read(limits, now);
    const reason = firstRefusal(before, limits, now, reservationMicroUsd);
    if (reason !== undefined) {
      return { admitted: false, reason, retryAfterSeconds: retryAfterSeconds(reason, before, limits, now), state: limitState(before, limits, now) };
    }
    counters.recordAdmission(request, reservationMicroUsd);
    return { admitted: true, state: limitState(counters.read(limits, now), limits, now) };
  }

  async settle(settlement: Settlement): Promise<void> {
    this.#countersOf(settlement.keyId).recordSettlement(settlement);
  }

  async state(keyId: string, limits: KeyLimits, now: number): Promise<LimitState> {
    const counters = this.#countersOf(keyId);
    counters.purgeExpiredReservations(now);
    return limitState(counters.read(limits, now), limits, now);
  }

  async spend(keyId: string, fromDay: string, toDay: string): Promise<SpendRecord[]> {
    const days = daysInRange(fromDay, toDay);
    const counters = this.#keys.get(keyId);
    return counters ? counters.spend(days) : [];
  }

  async saveKey(key: StoredKey): Promise<void> {
    this.#storedKeys.set(key.id, storedKeyToJson(key));
  }

  async getKey(id: string): Promise<StoredKey | undefined> {
    const json = this.#storedKeys.get(id);
    return json === undefined ? undefined : storedKeyFromJson(json);
  }

  async listKeys(): Promise<StoredKey[]> {
    return [...this.#storedKeys.values()].map(storedKeyFromJson).sort(compareStoredKeys);
  }

  async close(): Promise<void> {}

  #countersOf(keyId: string): KeyCounters {
    let counters = this.#keys.get(keyId);
    if (!counters) {
      counters = new KeyCounters();
      this.#keys.set(keyId, counters);
    }
    return counters;
  }
}

export function createMemoryGovernanceStore(): MemoryGovernanceStore {
  return new MemoryGovernanceStore();
}

interface Reservation {
  expiresAt: number;
  /** The budget period it was reserved in ('' without a budget), so it is released from that period even after a rollover. */
  periodId: string;
  microUsd: number;
}

interface BudgetCounters {
  spentMicroUsd: number;
  reservedMicroUsd: number;
  expiresAt: number | undefined;
}

interface ModelSpend {
  microUsd: number;
  tokens: number;
  requests: number;
  unpricedRequests: number;
}

interface DaySpend {
  expiresAt: number;
  byModel: Map<string, ModelSpend>;
}

/** Everything recorded for one virtual key; mirrors the Redis keys under its hash tag. */
class KeyCounters {
  /** Theoretical arrival times of the requests and tokens buckets (rate-bucket.ts). */
  #requestsTat: number | undefined;
  #tokensTat: number | undefined;
  readonly #reservations = new Map<string, Reservation>();
  readonly #budgets = new Map<string, BudgetCounters>();
  /** Settled reservation ids and when the marker lapses, in insertion (hence roughly expiry) order. */
  readonly #settled = new Map<string, number>();
  readonly #spendByDay = new Map<string, DaySpend>();

  purgeExpiredReservations(now: number): void {
    for (const [reservationId, reservation] of this.#reservations) {
      if (reservation.expiresAt <= now) this.#release(reservationId, reservation, now);
    }
  }

  read(limits: KeyLimits, now: number): LimitCounters {
    const budget = limits.budget ? this.#budget(budgetPeriod(limits.budget.period, now).id, now) : undefined;
    return {
      requests: this.#requestsTat,
      tokens: this.#tokensTat,
      active: this.#reservations.size,
      spentMicroUsd: budget?.spentMicroUsd ?? 0,
      reservedMicroUsd: budget?.reservedMicroUsd ?? 0,
    };
  }

  recordAdmission(request: AdmissionRequest, reservationMicroUsd: number): void {
    const { limits, now } = request;
    if (limits.requestsPerMinute !== undefined) this.#requestsTat = afterRequest(this.#requestsTat, limits.requestsPerMinute, now);
    if (limits.maxParallel === undefined && limits.budget === undefined) return;
    const period = limits.budget ? budgetPeriod(limits.budget.period, now) : undefined;
    this.#reservations.set(request.reservationId, { expiresAt: now + request.reservationTtlMs, periodId: period?.id ?? '', microUsd: period ? reservationMicroUsd : 0 });
    if (period) this.#budgetForWrite(period.id, period.resetsAt, now).reservedMicroUsd += reservationMicroUsd;
  }

  recordSettlement(settlement: Settlement): void {
    const { now, limits, reservationId } = settlement;
    this.#forgetLapsedSettlements(now);
    if (this.#settled.has(reservationId)) return;
    this.#settled.set(reservationId, now + retention.settledMarkerMs);
    const reservation = this.#reservations.get(reservationId);
    if (reservation) this.#release(reservationId, reservation, now);
    if (settlement.model === undefined) return;
    const costMicroUsd = settlement.costUsd === undefined ? 0 : toMicroUsd(settlement.costUsd);
    const tokens = Math.round(settlement.tokens);
    if (limits.budget) {
      const period = budgetPeriod(limits.budget.period, now);
      this.#budgetForWrite(period.id, period.resetsAt, now).spentMicroUsd += costMicroUsd;
    }
    if (limits.tokensPerMinute !== undefined && tokens > 0) this.#tokensTat = afterTokens(this.#tokensTat, limits.tokensPerMinute, now, tokens);
    const modelSpend = this.#daySpendForWrite(utcDay(now), now);
    let spend = modelSpend.get(settlement.model);
    if (!spend) {
      spend = { microUsd: 0, tokens: 0, requests: 0, unpricedRequests: 0 };
      modelSpend.set(settlement.model, spend);
    }
    spend.microUsd += costMicroUsd;
    spend.tokens += tokens;
    spend.requests += 1;
    if (settlement.costUsd === undefined) spend.unpricedRequests += 1;
  }

  spend(days: string[]): SpendRecord[] {
    const records: SpendRecord[] = [];
    for (const day of days) {
      const daySpend = this.#spendByDay.get(day);
      if (!daySpend) continue;
      for (const model of [...daySpend.byModel.keys()].sort()) {
        const spend = daySpend.byModel.get(model)!;
        records.push(spendRecord(day, model, spend.microUsd, spend.tokens, spend.requests, spend.unpricedRequests));
      }
    }
    return records;
  }

  #release(reservationId: string, reservation: Reservation, now: number): void {
    this.#reservations.delete(reservationId);
    if (reservation.periodId === '') return;
    // Like the Redis store, a period that has already been forgotten is not brought back by a release.
    const budget = this.#budget(reservation.periodId, now);
    if (budget) budget.reservedMicroUsd -= reservation.microUsd;
  }

  #budget(periodId: string, now: number): BudgetCounters | undefined {
    const budget = this.#budgets.get(periodId);
    if (budget?.expiresAt !== undefined && budget.expiresAt <= now) {
      this.#budgets.delete(periodId);
      return undefined;
    }
    return budget;
  }

  #budgetForWrite(periodId: string, resetsAt: number | undefined, now: number): BudgetCounters {
    let budget = this.#budget(periodId, now);
    if (!budget) {
      budget = { spentMicroUsd: 0, reservedMicroUsd: 0, expiresAt: undefined };
      this.#budgets.set(periodId, budget);
      for (const [otherId, other] of this.#budgets) if (other.expiresAt !== undefined && other.expiresAt <= now) this.#budgets.delete(otherId);
    }
    budget.expiresAt = resetsAt === undefined ? undefined : resetsAt + retention.budgetPeriodAfterEndMs;
    return budget;
  }

  #daySpendForWrite(day: string, now: number): Map<string, ModelSpend> {
    let daySpend = this.#spendByDay.get(day);
    if (!daySpend || daySpend.expiresAt <= now) {
      for (const [otherDay, other] of this.#spendByDay) if (other.expiresAt <= now) this.#spendByDay.delete(otherDay);
      daySpend = { expiresAt: 0, byModel: new Map() };
      this.#spendByDay.set(day, daySpend);
    }
    daySpend.expiresAt = now + spendRetentionMs;
    return daySpend.byModel;
  }

  #forgetLapsedSettlements(now: number): void {
    for (const [reservationId, expiresAt] of this.#settled) {
      if (expiresAt > now) break;
      this.#settled.delete(reservationId);
    }
  }
}
