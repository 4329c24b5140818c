import { z } from 'zod';
import { guardrailName, guardrailReferences, guardrailSchema, unknownGuardrailReferences } from './guardrail-schema.js';
import { routeSchema } from '../routing/route-schema.js';

/**
 * The gateway's one configuration file. Both the sidecar's runtime view and the Envoy
 * bootstrap are derived from it (see runtime.ts and render-envoy.ts), so the two never
 * disagree. Every object is strict: a misspelt key is an error, not a silent default.
 */

const port = z.number().int().min(1).max(65535);
const duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h)$/, 'expected a duration such as "250ms", "30s", "5m" or "1h"');
const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'expected lower-case letters, digits, "_", "." or "-" (at most 63 characters)');

export const credentialSchema = z
  .strictObject({
    env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name').optional(),
    file: z.string().min(1).optional(),
  })
  .refine((credential) => (credential.env === undefined) !== (credential.file === undefined), {
    message: 'set exactly one of "env" or "file" (provider keys are never written inline)',
  });

export const providerKinds = ['openai', 'azure-openai', 'anthropic', 'gemini'] as const;
export type ProviderKind = (typeof providerKinds)[number];

export const providerSchema = z.strictObject({
  kind: z.enum(providerKinds),
  /** Where the provider's API lives, e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1 (Ollama). */
  base_url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  credential: credentialSchema.optional(),
  /** Labels a provider that is a local stand-in, not a real model, everywhere it shows up. */
  demo: z.boolean().default(false),
  /** Azure OpenAI only: the api-version query parameter of the deployment path. Omit for Azure's v1 API. */
  api_version: z.string().min(1).optional(),
  connect_timeout: duration.default('5s'),
  /** Drop request parameters this provider cannot honour instead of refusing the request (listed in x-gateway-dropped-params). */
  drop_params: z.boolean().default(false),
});

export const targetSchema = z.strictObject({
  provider: name,
  /** The model name the provider knows (Azure: the deployment name). */
  model: z.string().min(1),
});

export const weightedTargetSchema = z.strictObject({
  ...targetSchema.shape,
  /** Share of this level's traffic, relative to the other targets of the level. */
  weight: z.number().int().min(1).max(128).default(1),
});

/** One level of a fallback chain: a target, or several that share the load (keys, deployments, regions). */
export const levelSchema = z.union([targetSchema, z.strictObject({ balance: z.array(weightedTargetSchema).min(1) })], {
  error: 'expected a target { provider, model } or { balance: [targets with weights] }',
});

/**
 * The exact-match response cache for a model or a key (opt-in): answers are kept for `ttl`
 * and served again for the same request in the same tenant scope. See src/cache/.
 */
export const responseCacheSchema = z.strictObject({
  ttl: duration.default('10m'),
  /** Whose answers are shared: each virtual key's own (the default), or every caller's (`global`). */
  scope: z.enum(['key', 'global']).default('key'),
  /** Only requests whose answer is reproducible (temperature 0, or a seed) are cached unless this is false. */
  deterministic_only: z.boolean().default(true),
  /**
   * The semantic cache (off when absent): a request whose last user turn is near enough to a
   * stored one (same scope, model, parameters and preceding conversation) gets its answer.
   */
  semantic: z
    .strictObject({
      /** The alias of one of this gateway's models that serves /v1/embeddings; called through Envoy. */
      embeddings_model: z.string().min(1),
      /** Cosine similarity at or above which a stored answer is served (0..1). */
      threshold: z.number().gt(0).max(1).default(0.92),
      /** An embedding slower than this is a miss; below Envoy's 5s ext_proc message timeout. */
      timeout: duration.default('1s'),
      /** Entries the in-process index keeps, over all partitions (least recently used evicted). */
      max_entries: z.number().int().positive().default(10_000),
      /** A near turn is served only when both turns have the same numbers, in order (see src/cache/semantic-guard.ts). */
      require_same_numbers: z.boolean().default(true),
      /** A near turn is served only when both turns are negated ("not", "never", "no", "without", "n't"...) or neither is. */
      require_same_negation: z.boolean().default(true),
    })
    .optional(),
});

export const modelSchema = z
  .strictObject({
    /** Shorthand for a model served by one target. */
    provider: name.optional(),
    model: z.string().min(1).optional(),
    /** Targets in order: Envoy moves to the next level when a level keeps failing. */
    fallback: z.array(levelSchema).min(1).optional(),
    /** Shown in /v1/models as owned_by; defaults to the first target's provider. */
    owned_by: z.string().optional(),
    /**
     * A request too long for every target's context window: "refuse" (400 context_length_exceeded),
     * { upgrade: <alias> } to serve it with that (larger-context) model instead, or "truncate" to drop
     * its oldest turns until it fits (src/routing/truncate-turns.ts).
     */
    context_policy: z
      .union([z.literal('refuse'), z.literal('truncate'), z.strictObject({ upgrade: z.string().min(1) })], { error: 'expected "refuse", "truncate" or { upgrade: <model alias> }' })
      .default('refuse'),
    /** Exact-match response cache for this model (off when absent). */
    cache: responseCacheSchema.optional(),
    /** Guardrails (names under `guardrails`) every request for this model runs. */
    guardrails: guardrailReferences,
    /** Drop request parameters this model's targets cannot honour instead of refusing (overrides the provider's setting). */
    drop_params: z.boolean().optional(),
    /** A quality tier for routes' `cheapest` choice (`min_tier`); higher is better. Untiered models pass no floor. */
    tier: z.number().int().optional(),
  })
  .superRefine((model, context) => {
    const single = model.provider !== undefined || model.model !== undefined;
    if (single && model.fallback !== undefined) {
      context.addIssue({ code: 'custom', message: 'use either provider and model, or fallback, not both' });
    } else if (!single && model.fallback === undefined) {
      context.addIssue({ code: 'custom', message: 'set provider and model, or a fallback chain' });
    } else if (single && (model.provider === undefined || model.model === undefined)) {
      context.addIssue({ code: 'custom', path: [model.provider === undefined ? 'provider' : 'model'], message: 'required together with the other' });
    }
  });

/**
 * How Envoy retries and falls back. Envoy owns all of it; these settings are rendered into
 * the route's retry policy and each model cluster's outlier detection and circuit breakers.
 */
export const resilienceSchema = z.strictObject({
  /** Tries on one level of the chain (the first try included) before moving to the next level. */
  attempts_per_level: z.number().int().min(1).max(10).default(2),
  /** Upper bound on tries per request, all levels together. */
  max_attempts: z.number().int().min(1).max(20).default(5),
  /** What counts as a failed try. */
  retry_on: z
    .array(z.enum(['connect-failure', 'reset', 'refused-stream', '5xx', 'gateway-error', '429']))
    .min(1)
    .default(['connect-failure', 'reset', 'refused-stream', '5xx', '429']),
  backoff_base: duration.default('100ms'),
  backoff_max: duration.default('1s'),
  /** A provider's Retry-After is honoured up to this long; longer waits fall back to the normal backoff. */
  retry_after_max: duration.default('10s'),
  /** A target that says it is overloaded without saying for how long (Anthropic's 529, Gemini's 503 UNAVAILABLE) gets no request for this long; "0s" turns it off. */
  overloaded_pause: duration.default('10s'),
  /** Cap on any pause a provider asks for (Retry-After, retry-after-ms, Gemini's RetryInfo). */
  max_pause: duration.default('300s'),
  /** Limit on one try, streaming included; "0s" means none (long generations). */
  per_try_timeout: duration.default('0s'),
  /** A try that sends nothing for this long (no first byte, or a stalled stream) is abandoned and retried while it can be. */
  per_try_idle_timeout: duration.default('300s'),
  outlier_detection: z
    .strictObject({
      consecutive_5xx: z.number().int().min(1).default(5),
      consecutive_gateway_failure: z.number().int().min(1).default(3),
      interval: duration.default('10s'),
      base_ejection_time: duration.default('30s'),
      max_ejection_time: duration.default('300s'),
      /** 100: one provider per level, so ejecting "10% of hosts" (Envoy's default) would eject none. */
      max_ejection_percent: z.number().int().min(0).max(100).default(100),
    })
    .prefault({}),
  circuit_breakers: z
    .strictObject({
      max_connections: z.number().int().min(1).default(10000),
      max_pending_requests: z.number().int().min(1).default(10000),
      max_requests: z.number().int().min(1).default(10000),
      /** Envoy's default of 3 concurrent retries per cluster is far too low for LLM traffic. */
      max_retries: z.number().int().min(1).default(1000),
      /** Retries may be at most this share of active requests (plus min_retry_concurrency). */
      retry_budget_percent: z.number().min(0).max(100).default(25),
      min_retry_concurrency: z.number().int().min(0).default(10),
    })
    .prefault({}),
});

const budgetSchema = z.strictObject({
  usd: z.number().positive(),
  /** total: never resets; daily and monthly reset at UTC midnight / the first of the month. */
  period: z.enum(['total', 'daily', 'monthly']).default('monthly'),
});

/** A virtual key declared in the configuration: only its hash is written here, never the key. */
export const keySchema = z.strictObject({
  alias: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'expected 1-64 letters, digits, "_", ".", "@" or "-" (it is a metric label)'),
  /** "sha256:<64 hex>" of the whole key, as `llm-gateway hash-key` prints it. */
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected "sha256:" and 64 lower-case hex digits (llm-gateway hash-key prints it)'),
  /** Model aliases this key may use; "*" matches any run of characters ("gpt-*"). Empty or absent: every model. */
  models: z.array(z.string().min(1)).optional(),
  requests_per_minute: z.number().int().positive().optional(),
  tokens_per_minute: z.number().int().positive().optional(),
  max_parallel: z.number().int().positive().optional(),
  budget: budgetSchema.optional(),
  expires_at: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time, e.g. 2027-01-01T00:00:00Z' }).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  /** Response cache settings for this key, over the model's; `false` keeps this key out of the cache. */
  cache: z.union([z.literal(false), responseCacheSchema]).optional(),
  /** Guardrails (names under `guardrails`) every request with this key runs, after its model's. */
  guardrails: guardrailReferences,
});

export const governanceSchema = z.strictObject({
  /**
   * closed (the default): every request needs a valid key. open: clients without a key are
   * served too, but only while no key can exist (none declared, the admin API off, a store of
   * this replica's own that holds none); otherwise the gateway stays closed and says why.
   */
  mode: z.enum(['closed', 'open']).default('closed'),
  /** Replaced by `mode`; kept only to explain the change to a configuration that still sets it. */
  require_keys: z.boolean().optional(),
  /** Enables the admin API on the sidecar's admin port; requests must send it as a bearer token. */
  admin_key: credentialSchema.optional(),
  /**
   * Where limits, budgets, spend and run-time keys live: a local SQLite file (one process,
   * kept across restarts), Redis shared by every replica, or this process's memory (lost on
   * every restart: for tests and throwaway demos).
   */
  store: z.enum(['sqlite', 'redis', 'memory']).default('sqlite'),
  sqlite: z
    .strictObject({
      /** The database file, relative to the working directory; one gateway process per file. */
      path: z.string().min(1).default('data/gateway.db'),
    })
    .prefault({}),
  redis: z
    .strictObject({
      /** Defaults to the REDIS_URL environment variable. May carry a password: it is never logged. */
      url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').optional(),
      key_prefix: z.string().default('llmgw:'),
      /** What to do when Redis cannot be reached: refuse requests (deny) or serve them without limits (allow). */
      on_unavailable: z.enum(['deny', 'allow']).default('deny'),
      /** How long one command may take before the request is handled as if Redis were unreachable. */
      command_timeout: duration.default('500ms'),
      /** How long one connection attempt may take (and a request waits for one under way). */
      connect_timeout: duration.default('500ms'),
    })
    .prefault({}),
  /** Output tokens assumed for a budget reservation when neither the request nor the price table gives a maximum. */
  default_max_output_tokens: z.number().int().positive().default(16384),
});

/** A price override, in USD per million tokens (how providers publish them). */
export const priceOverrideSchema = z.strictObject({
  input: z.number().min(0),
  output: z.number().min(0),
  /** Cache reads; defaults to input. */
  cached_input: z.number().min(0).optional(),
  /** Anthropic cache writes; defaults to input. */
  cache_write: z.number().min(0).optional(),
  /** Reasoning tokens, where billed differently from output. */
  reasoning: z.number().min(0).optional(),
  /** Largest output a request can produce, for budget reservations. */
  max_output_tokens: z.number().int().positive().optional(),
});

/** A capability override, field by field over config/capabilities.yaml (a model absent there needs all six). */
export const capabilityOverrideSchema = z.strictObject({
  context_window: z.number().int().positive().optional(),
  max_output_tokens: z.number().int().positive().optional(),
  tools: z.boolean().optional(),
  vision: z.boolean().optional(),
  json_schema: z.boolean().optional(),
  reasoning: z.boolean().optional(),
});

export const configurationSchema = z.strictObject({
  listener: z
    .strictObject({
      address: z.string().default('127.0.0.1'),
      port: port.default(8080),
      /** Largest request body Envoy buffers for the sidecar; larger ones get an OpenAI-style 413. */
      max_request_bytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(16 * 1024 * 1024),
      /**
       * Keep a client's own x-request-id instead of Envoy's generated one. Only for a gateway behind a
       * proxy that sets it: the id names the request in every log and answer, so clients must not choose it.
       */
      trust_client_request_id: z.boolean().default(false),
    })
    .prefault({}),
  sidecar: z
    .strictObject({
      /** Where Envoy reaches the sidecar's gRPC server (an IP address: the cluster is STATIC). */
      address: z.string().default('127.0.0.1'),
      grpc_port: port.default(50051),
      /** The sidecar's own HTTP port: /healthz, /metrics. */
      admin_port: port.default(9090),
      /**
       * Sidecar worker processes. Above 1, worker i serves gRPC on grpc_port + i and Envoy's sidecar
       * cluster balances ext_proc streams across them round robin (the attempt processor is stateless,
       * so a request's two streams may reach different workers); they share admin_port, and the
       * governance store (SQLite and memory through the primary process, Redis directly).
       */
      workers: z.number().int().min(1).max(64).default(1),
      /**
       * Pass-through answers that need only metering (and cache fill) are read by a second,
       * observability-mode ext_proc filter: Envoy sends their body chunks without waiting for the
       * sidecar, and the router filter skips their body. Response headers stay synchronous (status,
       * hidden provider headers). Needs workers: 1, since the observer's stream must reach the
       * process holding the request (admission, usage so far).
       */
      pass_through_observability_mode: z.boolean().default(false),
      /** Where the sidecar binds its gRPC server: Envoy is its only client, so loopback when they share a host or pod. */
      bind_address: z.string().default('127.0.0.1'),
      /**
       * Where the sidecar binds its admin server (/healthz, /livez, /metrics, /admin). Defaults to
       * bind_address. Kubernetes probes and Prometheus reach a pod on its pod IP, never its loopback,
       * so a pod sets this to 0.0.0.0 while the gRPC server stays on loopback.
       */
      admin_bind_address: z.string().optional(),
    })
    // Resolved here so every reader sees one address, not "admin_bind_address ?? bind_address" in each place.
    .transform((sidecar) => ({ ...sidecar, admin_bind_address: sidecar.admin_bind_address ?? sidecar.bind_address }))
    .prefault({}),
  envoy: z
    .strictObject({
      admin_address: z.string().default('127.0.0.1'),
      admin_port: port.default(9901),
      /** A listener (on listener.address) that serves only /stats/prometheus, so Envoy's admin port never has to be exposed. */
      metrics_port: port.default(9902),
      /** How long an upstream may stay silent mid-response before Envoy gives up. */
      stream_idle_timeout: duration.default('300s'),
      /** Upper bound on a whole request including streaming; "0s" means none. */
      request_timeout: duration.default('0s'),
      /** The CA bundle Envoy verifies providers' certificates against. */
      trusted_ca_file: z.string().default('/etc/ssl/certs/ca-certificates.crt'),
    })
    .prefault({}),
  resilience: resilienceSchema.prefault({}),
  governance: governanceSchema.prefault({}),
  keys: z.array(keySchema).default([]),
  /** Where the response cache keeps answers, for every cache-enabled model and key. */
  cache: z
    .strictObject({
      /** memory: this process's LRU (kept across restarts in a SQLite file, see persist); redis: shared by every replica. */
      store: z.enum(['memory', 'redis']).default('memory'),
      /** The in-memory store's bound on its entries' estimated bytes (LRU eviction beyond it). */
      max_bytes: z.number().int().positive().default(64 * 1024 * 1024),
      /** Answers larger than this are not stored in Redis. */
      max_entry_bytes: z.number().int().positive().default(1024 * 1024),
      /**
       * memory store: keep a copy of the answers in a SQLite file, so a restarted sidecar serves
       * them until their TTL. Default: on when governance.store is sqlite (the durable store is
       * a file then), off otherwise.
       */
      persist: z.boolean().optional(),
      sqlite: z
        .strictObject({
          /** The cache's own file; default: response-cache.db beside governance.sqlite.path. */
          path: z.string().min(1).optional(),
        })
        .prefault({}),
      redis: z
        .strictObject({
          /** Defaults to the REDIS_URL environment variable. May carry a password: it is never logged. */
          url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').optional(),
          key_prefix: z.string().default('llmgw:cache:'),
          /** A lookup slower than this is a miss. */
          command_timeout: duration.default('100ms'),
        })
        .prefault({}),
    })
    .prefault({}),
  /**
   * Prices that replace or add to config/prices.yaml, keyed "<provider>/<model>": the
   * provider's name in this file (or its kind, for every provider of that kind).
   */
  prices: z.record(z.string().regex(/^[a-z0-9][a-z0-9_.-]*\/.+$/, 'expected "<provider>/<model>"'), priceOverrideSchema).default({}),
  /**
   * Capabilities that replace or add to config/capabilities.yaml, keyed "<provider>/<model>"
   * as prices are (the provider's name in this file, or its kind).
   */
  capabilities: z.record(z.string().regex(/^[a-z0-9][a-z0-9_.-]*\/.+$/, 'expected "<provider>/<model>"'), capabilityOverrideSchema).default({}),
  providers: z.record(name, providerSchema).refine((providers) => Object.keys(providers).length > 0, {
    message: 'declare at least one provider',
  }),
  models: z.record(z.string().min(1).max(128), modelSchema).refine((models) => Object.keys(models).length > 0, {
    message: 'declare at least one model',
  }),
  /** Routes: model names whose model alias is chosen per request by rules (src/routing/). */
  routes: z.record(z.string().min(1).max(128), routeSchema).default({}),
  /** Named guardrails (PII, prompt injection, output deny lists, analysers) that models and keys attach by name. */
  guardrails: z.record(guardrailName, guardrailSchema).default({}),
}).superRefine((configuration, context) => {
  for (const issue of unknownGuardrailReferences(configuration)) context.addIssue({ code: 'custom', ...issue });
  // Envoy balances ext_proc streams per stream across workers: the observer's could miss the router's process.
  if (configuration.sidecar.pass_through_observability_mode && configuration.sidecar.workers > 1) {
    context.addIssue({
      code: 'custom',
      path: ['sidecar', 'pass_through_observability_mode'],
      message: 'needs sidecar.workers: 1 (the observer stream must reach the process holding the request)',
    });
  }
  // A semantic cache embeds through one of this gateway's own models: the alias must exist.
  const check = (cache: { semantic?: { embeddings_model: string } | undefined } | false | undefined, path: PropertyKey[]) => {
    const alias = cache === false ? undefined : cache?.semantic?.embeddings_model;
    if (alias !== undefined && configuration.models[alias] === undefined) {
      context.addIssue({ code: 'custom', path: [...path, 'cache', 'semantic', 'embeddings_model'], message: `no model '${alias}' in models` });
    }
  };
  for (const [alias, model] of Object.entries(configuration.models)) check(model.cache, ['models', alias]);
  for (const [index, key] of configuration.keys.entries()) check(key.cache, ['keys', index]);
});

export type Configuration = z.infer<typeof configurationSchema>;
export type ProviderConfiguration = z.infer<typeof providerSchema>;
export type ModelConfiguration = z.infer<typeof modelSchema>;
export type ResilienceConfiguration = z.infer<typeof resilienceSchema>;
export type GovernanceConfiguration = z.infer<typeof governanceSchema>;
export type KeyConfiguration = z.infer<typeof keySchema>;
export type PriceOverride = z.infer<typeof priceOverrideSchema>;
export type CapabilityOverride = z.infer<typeof capabilityOverrideSchema>;
export type ResponseCacheConfiguration = z.infer<typeof responseCacheSchema>;
export type SemanticCacheConfiguration = NonNullable<ResponseCacheConfiguration['semantic']>;
