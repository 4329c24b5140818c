import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { keySchema } from '../config/schema.js';
import { generateKeySecret, hashesEqual, hashKeySecret } from '../governance/key-secret.js';
import { fromStored, type Keyring } from '../governance/keyring.js';
import type { VirtualKey } from '../governance/virtual-key.js';
import type { GovernanceStore, KeyLimits, SpendRecord, StoredKey } from '../stores/governance-store.js';
import type { AdminAuditEntry } from './admin-audit.js';

/**
 * The admin API on the sidecar's admin port: create, list, inspect, update and revoke
 * virtual keys, and read spend per key, model and day. Every call needs the admin key as a
 * bearer token. A new key's secret is in the create response and nowhere else: the store
 * keeps its hash.
 */
export interface AdminApiDependencies {
  /** sha256 hash of the admin key, or undefined when the admin API is disabled. */
  adminKeyHash: string | undefined;
  store: GovernanceStore;
  keyring: Keyring;
  /** Keys declared in the configuration (read-only here). */
  declaredKeys: readonly VirtualKey[];
  clock: () => number;
  /** Told of every change to a key (created, updated, revoked), after the store has it. */
  audit: (entry: AdminAuditEntry) => void;
}

const MAX_BODY_BYTES = 64 * 1024;

const keyFields = keySchema.omit({ hash: true });
const createSchema = keyFields;
const updateSchema = keyFields.partial().extend({ expires_at: keyFields.shape.expires_at.nullable() });

export function createAdminApi(dependencies: AdminApiDependencies): (request: IncomingMessage, response: ServerResponse, path: string) => Promise<void> {
  return async (request, response, path) => {
    if (dependencies.adminKeyHash === undefined) {
      return send(response, 404, error('admin_api_disabled', 'The admin API is disabled: set governance.admin_key in the gateway configuration.'));
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim();
    if (bearer === undefined || !hashesEqual(hashKeySecret(bearer), dependencies.adminKeyHash)) {
      return send(response, 401, error('invalid_admin_key', 'The admin API needs the admin key as "Authorization: Bearer <admin key>".'));
    }
    try {
      await route(dependencies, request, response, path);
    } catch (thrown) {
      if (thrown instanceof HttpError) return send(response, thrown.status, error(thrown.code, thrown.message));
      return send(response, 503, error('store_unavailable', `The key store could not be reached: ${(thrown as Error).name}.`));
    }
  };
}

async function route(dependencies: AdminApiDependencies, request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
  const { store, clock } = dependencies;
  const method = request.method ?? 'GET';
  const keyPath = /^\/admin\/keys\/([^/]+)$/.exec(path);

  if (path === '/admin/keys' && method === 'POST') {
    const input = parse(createSchema, await readJson(request));
    await ensureAliasFree(dependencies, input.alias, undefined);
    const secret = generateKeySecret();
    const key: StoredKey = {
      id: secret.id,
      hash: secret.hash,
      alias: input.alias,
      models: input.models ?? [],
      limits: limitsOf(input),
      expiresAt: input.expires_at === undefined ? undefined : Date.parse(input.expires_at),
      revokedAt: undefined,
      createdAt: clock(),
      metadata: input.metadata ?? {},
    };
    await store.saveKey(key);
    dependencies.audit({ action: 'key.created', actor: 'governance.admin_key', keyId: key.id, keyAlias: key.alias, changed: [], at: key.createdAt });
    return send(response, 201, { ...publicKey(fromStored(key), key.createdAt), key: secret.secret });
  }
  if (path === '/admin/keys' && method === 'GET') {
    const stored = await store.listKeys();
    const data = [...dependencies.declaredKeys.map((key) => publicKey(key, undefined)), ...stored.map((key) => publicKey(fromStored(key), key.createdAt))];
    return send(response, 200, { object: 'list', data });
  }
  if (keyPath && method === 'GET') {
    const key = await findKey(dependencies, decodeURIComponent(keyPath[1]!));
    const now = clock();
    const state = await store.state(key.id, key.limits, now);
    const today = dayOf(now);
    const spend = await store.spend(key.id, firstOfMonth(today), today);
    const budget = state.budget && {
      ...state.budget,
      remainingUsd: Math.max(0, state.budget.limitUsd - state.budget.spentUsd - state.budget.reservedUsd),
      resetsAt: state.budget.resetsAt === undefined ? null : new Date(state.budget.resetsAt).toISOString(),
    };
    return send(response, 200, { ...publicKey(key.key, key.createdAt), usage: { requests: state.requests ?? null, tokens: state.tokens ?? null, parallel: state.parallel ?? null, budget: budget ?? null }, spend_this_month: spend.map(spendRow) });
  }
  if (keyPath && (method === 'PATCH' || method === 'DELETE')) {
    const id = decodeURIComponent(keyPath[1]!);
    const existing = await store.getKey(id);
    if (existing === undefined) {
      const declared = dependencies.declaredKeys.some((key) => key.id === id);
      throw new HttpError(declared ? 409 : 404, declared ? 'key_declared_in_config' : 'key_not_found', declared ? `The key '${id}' is declared in the configuration; change it there.` : `No key with id '${id}'.`);
    }
    let updated: StoredKey;
    let changed: string[] = [];
    if (method === 'DELETE') {
      updated = { ...existing, revokedAt: existing.revokedAt ?? clock() };
    } else {
      const input = parse(updateSchema, await readJson(request));
      changed = Object.keys(input).filter((field) => (input as Record<string, unknown>)[field] !== undefined).sort();
      if (input.alias !== undefined && input.alias !== existing.alias) await ensureAliasFree(dependencies, input.alias, id);
      updated = {
        ...existing,
        alias: input.alias ?? existing.alias,
        models: input.models ?? existing.models,
        limits: { ...existing.limits, ...limitsOf(input, existing.limits) },
        expiresAt: input.expires_at === null ? undefined : input.expires_at === undefined ? existing.expiresAt : Date.parse(input.expires_at),
        metadata: input.metadata ?? existing.metadata,
      };
    }
    await store.saveKey(updated);
    dependencies.keyring.forget(id);
    dependencies.audit({ action: method === 'DELETE' ? 'key.revoked' : 'key.updated', actor: 'governance.admin_key', keyId: id, keyAlias: updated.alias, changed, at: clock() });
    return send(response, 200, publicKey(fromStored(updated), updated.createdAt));
  }
  if (path === '/admin/spend' && method === 'GET') {
    const query = new URL(request.url ?? '/', 'http://admin').searchParams;
    const today = dayOf(clock());
    const from = query.get('from') ?? firstOfMonth(today);
    const to = query.get('to') ?? today;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !/^\d{4}-\d{2}-\d{2}$/.test(to)) throw new HttpError(400, 'invalid_day', 'from and to are days: YYYY-MM-DD (UTC).');
    const wanted = query.get('key');
    const keys = wanted ? [await findKey(dependencies, wanted)] : await allKeys(dependencies);
    const data = [];
    for (const { key } of keys) {
      for (const record of await store.spend(key.id, from, to)) data.push({ key_id: key.id, key_alias: key.alias, ...spendRow(record) });
    }
    return send(response, 200, { object: 'list', from, to, data });
  }
  throw new HttpError(404, 'not_found', `No admin endpoint ${method} ${path}.`);
}

function limitsOf(input: { requests_per_minute?: number | undefined; tokens_per_minute?: number | undefined; max_parallel?: number | undefined; budget?: { usd: number; period: 'total' | 'daily' | 'monthly' } | undefined }, base: KeyLimits = {}): KeyLimits {
  return {
    requestsPerMinute: input.requests_per_minute ?? base.requestsPerMinute,
    tokensPerMinute: input.tokens_per_minute ?? base.tokensPerMinute,
    maxParallel: input.max_parallel ?? base.maxParallel,
    budget: input.budget ?? base.budget,
  };
}

async function findKey(dependencies: AdminApiDependencies, id: string): Promise<{ id: string; key: VirtualKey; createdAt: number | undefined; limits: KeyLimits }> {
  const declared = dependencies.declaredKeys.find((key) => key.id === id || key.alias === id);
  if (declared) return { id: declared.id, key: declared, createdAt: undefined, limits: declared.limits };
  const stored = await dependencies.store.getKey(id);
  if (stored === undefined) throw new HttpError(404, 'key_not_found', `No key with id '${id}'.`);
  return { id: stored.id, key: fromStored(stored), createdAt: stored.createdAt, limits: stored.limits };
}

async function allKeys(dependencies: AdminApiDependencies): Promise<{ key: VirtualKey }[]> {
  const stored = await dependencies.store.listKeys();
  return [...dependencies.declaredKeys.map((key) => ({ key })), ...stored.map((key) => ({ key: fromStored(key) }))];
}

async function ensureAliasFree(dependencies: AdminApiDependencies, alias: string, exceptId: string | undefined): Promise<void> {
  const taken = dependencies.declaredKeys.some((key) => key.alias === alias) || (await dependencies.store.listKeys()).some((key) => key.alias === alias && key.id !== exceptId && key.revokedAt === undefined);
  if (taken) throw new HttpError(409, 'alias_taken', `Another key is already called '${alias}'.`);
}

function publicKey(key: VirtualKey, createdAt: number | undefined): Record<string, unknown> {
  return {
    id: key.id,
    object: 'gateway.key',
    alias: key.alias,
    source: key.source,
    models: key.models,
    requests_per_minute: key.limits.requestsPerMinute ?? null,
    tokens_per_minute: key.limits.tokensPerMinute ?? null,
    max_parallel: key.limits.maxParallel ?? null,
    budget: key.limits.budget ?? null,
    expires_at: key.expiresAt === undefined ? null : new Date(key.expiresAt).toISOString(),
    revoked_at: key.revokedAt === undefined ? null : new Date(key.revokedAt).toISOString(),
    created_at: createdAt === undefined ? null : new Date(createdAt).toISOString(),
    metadata: key.metadata,
  };
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new HttpError(400, 'invalid_request', `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body_too_large', 'The admin request body is too large.');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new HttpError(400, 'invalid_json', 'The body is not valid JSON.');
  }
}

function dayOf(milliseconds: number): string {
  return new Date(milliseconds).toISOString().slice(0, 10);
}

function firstOfMonth(day: string): string {
  return `${day.slice(0, 8)}01`;
}

function error(code: string, message: string): Record<string, unknown> {
  return { error: { message, type: 'invalid_request_error', param: null, code } };
}

function send(response: ServerResponse, status: number, payload: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(payload));
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A spend row as the admin API shows it: usd null when unknown (no price), and how many requests had none. */
function spendRow(record: SpendRecord) {
  return { day: record.day, model: record.model, usd: record.usd, tokens: record.tokens, requests: record.requests, unpriced_requests: record.unpricedRequests };
}
