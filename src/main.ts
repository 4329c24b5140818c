import { setLogger } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { format as formatMessage } from 'node:util';
import { DEFAULT_CONFIG_PATH, loadConfigurationFile } from './config/load.js';
import { TARGET_HEALTH_PATH } from './config/envoy-contract.js';
import { availableModels, buildRuntimeView, type Environment, type RuntimeView } from './config/runtime.js';
import { AttemptProcessor } from './extproc/attempt-processor.js';
import { RouterProcessor } from './extproc/router-processor.js';
import { createRequestPipeline } from './pipeline/create-request-pipeline.js';
import { createEndpointRegistry, forwardedEndpointsByName } from './endpoints/create-endpoint-registry.js';
import { ObserverProcessor } from './extproc/observer-processor.js';
import { ObservedExchanges } from './pipeline/observed-exchanges.js';
import type { Exchange } from './pipeline/exchange.js';
import { ExtProcServer } from './extproc/server.js';
import { createMeter } from './gateway/meter.js';
import type { RequestContext } from './gateway/request-context.js';
import { RequestStore } from './gateway/request-store.js';
import { createAdminApi } from './admin/admin-api.js';
import { logAdminAudit } from './admin/admin-audit.js';
import { Governance } from './governance/governance.js';
import { hashKeySecret } from './governance/key-secret.js';
import { createKeyring, declaredKey } from './governance/keyring.js';
import { createGovernanceStore, redisUrlOf } from './stores/create-governance-store.js';
import type { GovernanceStore } from './stores/governance-store.js';
import { decideAccess } from './governance/access-mode.js';
import { createPricing, DEFAULT_PRICE_TABLE_PATH, loadPriceTableFile } from './pricing/create-pricing.js';
import { unpricedModels } from './pricing/unpriced-models.js';
import { createCapabilities, DEFAULT_CAPABILITY_TABLE_PATH, loadCapabilityTableFile, type Capabilities } from './capabilities/create-capabilities.js';
import { readCredential } from './config/read-credential.js';
import { createTokenCounter } from './gateway/token-counter.js';
import { routesCountPromptTokens } from './routing/routes-count-prompt-tokens.js';
import { durationMilliseconds } from './config/duration.js';
import { createTargetPauses, type TargetPauses } from './resilience/target-pauses.js';
import { shareTargetPauses } from './resilience/share-target-pauses.js';
import { createAdminServer } from './observability/admin-server.js';
import { logGovernanceStoreCalls } from './observability/log-governance-store-calls.js';
import { readLogSettings, type LogSettings } from './observability/log-settings.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { createGuardrailObserver } from './guardrails/guardrail-metrics.js';
import { createGuardrailRuntime } from './guardrails/guardrail-runtime.js';
import { createGatewayModerator } from './guardrails/gateway-moderator.js';
import { localAddress } from './config/local-address.js';
import { createRouteMetrics } from './routing/route-metrics.js';
import { LatencyTracker } from './routing/latency-tracker.js';
import { registerLatencyMetrics } from './routing/latency-metrics.js';
import { observingLatency } from './routing/observe-latency.js';
import { createResponseCache } from './cache/create-response-cache.js';
import { prepareJsonSchemaChecks } from './providers/openai/find-json-schema-problem.js';
import { createProviderRegistry } from './providers/registry.js';
import { explainListenFailure } from './startup/explain-listen-failure.js';
import { reportStartupFailure } from './startup/report-startup-failure.js';
import { StartupError } from './startup/startup-error.js';
import { tuneGarbageCollector } from './tune-garbage-collector.js';
import type { Configuration } from './config/schema.js';
import { createIpcGovernanceStore, storeErrorOf } from './workers/ipc-governance-store.js';
import { runSidecarWorkers, WORKER_INDEX_VARIABLE } from './workers/run-sidecar-workers.js';
import { PrimaryChannel } from './workers/worker-channel.js';
import { sharePausesBetweenWorkers } from './workers/share-pauses-between-workers.js';
import { forgetKeysInEveryWorker } from './workers/forget-keys-in-every-worker.js';
import { createIpcResponseCacheStore } from './workers/ipc-response-cache-store.js';
import { semanticPeersBetweenWorkers } from './workers/semantic-peers-between-workers.js';
import { AggregatorRegistry } from 'prom-client';

/**
 * The composition root: configuration, dependencies, the gRPC and admin servers, signals.
 * Everything else receives what it needs from here; nothing reaches for a global.
 */
export interface GatewayHandle {
  readonly grpcPort: number;
  readonly adminPort: number;
  readonly view: RuntimeView;
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  configPath: string;
  environment: Environment;
  logger?: Logger;
  /** The price table; defaults to config/prices.yaml in the package. */
  priceTablePath?: string;
  /** The capability table; defaults to config/capabilities.yaml in the package. */
  capabilityTablePath?: string;
  /** Set in a sidecar worker (sidecar.workers > 1): its index, and the channel to the primary process. */
  worker?: { index: number; channel: PrimaryChannel };
}

export async function startGateway(options: StartOptions): Promise<GatewayHandle> {
  tuneGarbageCollector();
  // Compiled now, not on the first request with a tool: compiling blocks the event loop.
  prepareJsonSchemaChecks();
  const { worker } = options;
  const baseLogger = options.logger ?? createLogger({ level: options.environment.LOG_LEVEL ?? 'info' });
  // Every line of a worker says which one wrote it.
  const logger = worker === undefined ? baseLogger : baseLogger.child({ worker: worker.index });
  routeGrpcLogs(logger);
  // Everything that can refuse the configuration runs before anything is opened, so a refusal leaves nothing behind.
  const configuration = loadConfigurationFile(options.configPath, options.environment);
  const view = buildRuntimeView(configuration, { environment: options.environment });
  const registry = createProviderRegistry();
  for (const provider of view.providers.values()) {
    if (!registry.has(provider.kind)) throw new StartupError(`provider ${provider.name}: kind ${provider.kind} is not supported yet (${options.configPath}).`);
  }
  const priceTable = loadPriceTableFile(options.priceTablePath ?? DEFAULT_PRICE_TABLE_PATH);
  const capabilities = describeCapabilities(loadCapabilityTableFile(options.capabilityTablePath ?? DEFAULT_CAPABILITY_TABLE_PATH), configuration, view);
  const adminKey = readCredential(configuration.governance.admin_key, options.environment, 'governance.admin_key');

  // Long generations can stream for many minutes; entries normally go when the request ends.
  const store = new RequestStore<RequestContext>({ ttlMs: 60 * 60 * 1000, maxEntries: 100_000, now: () => performance.now() });
  const metrics = createMetrics({ requestStateEntries: () => store.size });
  // Every finished request's attempts feed the moving averages that routes' `fastest` rules read.
  const latency = new LatencyTracker({ now: () => performance.now(), random: Math.random });
  registerLatencyMetrics(metrics.registry, latency);
  const meter = observingLatency(createMeter({ metrics, logger }), latency);
  const routeMetrics = createRouteMetrics(metrics.registry);
  // A worker reaches the primary's SQLite or memory store over IPC (one process per SQLite file); Redis directly.
  const createdStore =
    worker !== undefined && configuration.governance.store !== 'redis' ? createIpcGovernanceStore(worker.channel) : createGovernanceStore(configuration, options.environment, Date.now());
  // Wrapped only when debug lines are on: at info the request path calls the store directly.
  const governanceStore = logger.isLevelEnabled('debug') ? logGovernanceStoreCalls(createdStore, logger) : createdStore;
  const pricing = createPricing(priceTable, configuration, view);
  const access = decideAccess({
    configuredMode: configuration.governance.mode,
    declaredKeys: configuration.keys.length,
    adminApiEnabled: adminKey !== undefined,
    sharedStore: configuration.governance.store === 'redis',
    storedKeys: configuration.governance.mode === 'open' ? await countStoredKeys(governanceStore) : 0,
  });
  const ownKeyring = createKeyring({
    declared: configuration.keys,
    store: governanceStore,
    requireKeys: !access.open,
    // A key changed or revoked through another replica's admin API is seen here within this long.
    cacheTtlMs: 5000,
  });
  // Another worker's admin API changing a key is seen here at once.
  const keyring = worker === undefined ? ownKeyring : forgetKeysInEveryWorker(ownKeyring, process);
  const governance = new Governance({
    keyring,
    store: governanceStore,
    pricing,
    onStoreUnavailable: configuration.governance.redis.on_unavailable,
    clock: Date.now,
    newId: randomUUID,
    reservationTtlMs: 60 * 60 * 1000,
    // The error's message only: a store error can carry a connection string.
    onStoreError: (operation, error) => logger.error({ operation, error: (error as Error)?.message }, 'governance store failed'),
    onState: (key, state) => {
      if (state.budget) {
        metrics.budgetRemaining.set({ key_alias: key.alias }, Math.max(0, state.budget.limitUsd - state.budget.spentUsd - state.budget.reservedUsd));
        metrics.budgetHeld.set({ key_alias: key.alias }, state.budget.reservedUsd);
      }
      if (state.parallel) metrics.keyRequestsInFlight.set({ key_alias: key.alias }, state.parallel.active);
    },
  });
  const sweeper = setInterval(() => store.sweep(), 60_000);
  sweeper.unref();

  const now = () => performance.now();
  const tokenCounter = createTokenCounter();
  // Otherwise it starts at its first count: ~80 MiB of RSS that most configurations never need.
  if (routesCountPromptTokens(configuration.routes)) tokenCounter.start();
  // With Redis, every replica hears the pauses the others learn.
  const pauses: TargetPauses & { close?: () => Promise<void> } =
    configuration.governance.store === 'redis'
      ? shareTargetPauses(createTargetPauses(now), {
          url: redisUrlOf(configuration, options.environment),
          keyPrefix: configuration.governance.redis.key_prefix,
          clock: Date.now,
          onError: (message) => logger.warn({ error: message }, 'target pauses could not be shared through Redis; each replica keeps its own'),
        })
      : worker !== undefined
        ? // Workers without Redis share pauses through the primary: a request's streams may run in two workers.
          sharePausesBetweenWorkers(createTargetPauses(now), process, Date.now)
        : createTargetPauses(now);
  const { resilience } = configuration;
  const backOff = { overloadedPauseMs: durationMilliseconds(resilience.overloaded_pause), maxPauseMs: durationMilliseconds(resilience.max_pause) };
  const onPause = (model: string, target: { provider: { name: string }; model: string }) =>
    metrics.targetPauses.inc({ gen_ai_request_model: model, target: `${target.provider.name}/${target.model}` });
  const endpoints = createEndpointRegistry();
  const forwardedEndpoints = forwardedEndpointsByName();
  // Moderation guardrails call the gateway's own /v1/moderations through Envoy, as the semantic cache embeds.
  const moderate = createGatewayModerator({ baseUrl: `http://${localAddress(configuration.listener.address)}:${configuration.listener.port}` });
  const guardrails = createGuardrailRuntime(createGuardrailObserver(metrics.registry, logger), now, moderate);
  // A worker's memory cache is the primary's, so every worker hits what one stored.
  const sharedStore = worker !== undefined && configuration.cache.store !== 'redis' ? createIpcResponseCacheStore(worker.channel) : undefined;
  const semanticPeers = sharedStore === undefined ? undefined : semanticPeersBetweenWorkers(process);
  const responseCache = createResponseCache(configuration, { registry: metrics.registry, logger, clock: Date.now, now, environment: options.environment, sharedStore, semanticPeers });
  // The request stages and response observers, composed once for every request.
  const pipeline = createRequestPipeline();
  // Marked requests whose answers the observability-mode filter reads (one process: the schema requires workers: 1).
  const observed = configuration.sidecar.pass_through_observability_mode ? new ObservedExchanges<Exchange>() : undefined;
  const server = new ExtProcServer({
    logger,
    metrics,
    maxMessageBytes: configuration.listener.max_request_bytes,
    createProcessor: (phase) =>
      phase === 'attempt'
        ? new AttemptProcessor({ view: () => view, endpoints: forwardedEndpoints, registry, clock: Date.now, pauses, backOff, onPause, logger })
        : new RouterProcessor({ view: () => view, store, registry, endpoints, meter, logger, now, clock: Date.now, newId: randomUUID, tokenCounter, governance, pricing, pauses, capabilities, routeMetrics, latency, cache: responseCache?.cache, guardrails, observed, pipeline }),
    createObserver: observed === undefined ? undefined : () => new ObserverProcessor({ observed, pipeline }),
  });
  let healthy = true;
  metrics.openAccess.set(access.open ? 1 : 0);
  // A worker's /metrics is every worker's, aggregated by the primary (which asks each over IPC).
  if (worker !== undefined) {
    AggregatorRegistry.setRegistries([metrics.registry]);
    // Constructing one is what makes prom-client answer the primary's requests for this worker's metrics.
    new AggregatorRegistry();
  }
  const admin = createAdminServer({
    registry: metrics.registry,
    metricsText: worker === undefined ? undefined : () => worker.channel.call('metrics', []) as Promise<string>,
    adminApi: createAdminApi({
      adminKeyHash: adminKey === undefined ? undefined : hashKeySecret(adminKey),
      store: governanceStore,
      keyring,
      declaredKeys: configuration.keys.map((key) => declaredKey(key)),
      clock: Date.now,
      audit: logAdminAudit(logger),
    }),
    isHealthy: () => healthy,
    access: access.open ? 'open' : 'closed',
    targetHealthPath: TARGET_HEALTH_PATH,
    isTargetUsable: (targetId) => {
      const target = view.targets.get(targetId);
      // A target paused at its provider's request fails its health check until the pause ends.
      return target === undefined ? undefined : target.provider.unavailableReason === undefined && pauses.remaining(targetId) === 0;
    },
  });
  const stop = async (graceMs: number) => {
    healthy = false;
    server.startDraining();
    await server.shutdown(graceMs);
    clearInterval(sweeper);
    if (admin.listening) {
      await new Promise<void>((resolve) => {
        admin.close(() => resolve());
        // close() waits for every open connection to end, and Envoy's health checks keep theirs alive
        // (HTTP/1.1 keep-alive, a request every few seconds) for as long as Envoy runs, so the sidecar
        // never exited. The streams are drained by now: nothing on this port is worth waiting for.
        admin.closeAllConnections();
      });
    }
    // Before the store: a cut-short stream still waiting for its token count is metered (with the
    // rough count, if the worker is gone) and settles against an open store.
    await tokenCounter.close();
    await pauses.close?.();
    await responseCache?.close();
    await new Promise((resolve) => setImmediate(resolve));
    await governanceStore.close();
    logger.flush();
  };

  const { sidecar } = configuration;
  const source = options.configPath;
  // Worker i serves on grpc_port + i: one endpoint of Envoy's sidecar cluster each (render-envoy).
  const grpcPortWanted = sidecar.grpc_port + (worker?.index ?? 0);
  let grpcPort: number;
  let adminPort: number;
  try {
    grpcPort = await server.listen(`${sidecar.bind_address}:${grpcPortWanted}`).catch((error: unknown) => {
      throw explainListenFailure(error, { what: "The sidecar's gRPC server (ext_proc)", address: sidecar.bind_address, port: grpcPortWanted, setting: worker === undefined ? 'sidecar.grpc_port' : `sidecar.grpc_port + ${worker.index} (worker ${worker.index})`, source });
    });
    adminPort = await listenHttp(admin, sidecar.admin_bind_address, sidecar.admin_port).catch((error: unknown) => {
      throw explainListenFailure(error, { what: "The sidecar's admin server (/healthz, /metrics)", address: sidecar.admin_bind_address, port: sidecar.admin_port, setting: 'sidecar.admin_port', source });
    });
  } catch (error) {
    // Close what was opened (the token counter's thread, a Redis connection, a bound port), so a
    // failed start ends the process instead of leaving it running without a gateway.
    await stop(0);
    throw error;
  }

  for (const provider of view.providers.values()) {
    if (provider.unavailableReason) logger.warn({ provider: provider.name }, `provider ${provider.name} is disabled: ${provider.unavailableReason}`);
    if (provider.demo) logger.warn({ provider: provider.name }, `provider ${provider.name} is a DEMO stand-in, not a real model`);
  }
  if (access.open) {
    logger.warn('governance.mode is open and no key can exist: the gateway is OPEN to any client that reaches its listener (/healthz and llm_gateway_open_access say so)');
  } else if (access.overriddenBy.length > 0) {
    logger.warn({ reasons: access.overriddenBy }, `governance.mode is open, but the gateway is closed because ${access.overriddenBy.join('; ')}`);
  }
  const unpriced = unpricedModels(view, pricing.priceOf);
  for (const { alias, provider, model } of unpriced) metrics.unpricedModels.set({ gen_ai_request_model: alias, gen_ai_response_model: model, gen_ai_provider_name: provider }, 1);
  if (unpriced.length > 0) {
    const names = unpriced.map(({ alias, provider, model }) => `${alias} (${provider}/${model})`);
    logger.warn({ unpriced_models: names }, `no price for ${names.join(', ')}: their cost is recorded as unknown, not $0, and keys with a budget cannot use them. Add a price under \`prices\` in the configuration.`);
  }
  if (configuration.governance.store === 'memory') {
    logger.warn('governance.store is memory: keys created through the admin API, their revocations, spend and budgets are lost when this process stops (the default, sqlite, keeps them)');
  }
  if (adminKey === undefined) logger.info('the admin API is disabled (set governance.admin_key to enable it)');
  logger.info(
    { grpc_port: grpcPort, admin_port: adminPort, models: availableModels(view).map((route) => route.alias) },
    'sidecar ready',
  );

  return {
    grpcPort,
    adminPort,
    view,
    stop: (graceMs = 10_000) => stop(graceMs),
  };
}

/** How many keys the store holds, or undefined when it cannot say (it is unreachable): then keys may exist. */
async function countStoredKeys(store: GovernanceStore): Promise<number | undefined> {
  try {
    return (await store.listKeys()).length;
  } catch {
    return undefined;
  }
}

/**
 * grpc-js writes its own errors to stderr ("E No address added out of total 1 resolved");
 * the sidecar reports what matters itself (a taken port names the port and the setting), so
 * grpc-js's lines go to the log, at debug level. grpc-js keeps one logger per process.
 */
function routeGrpcLogs(logger: Logger): void {
  const write = (...parts: unknown[]) => logger.debug({ component: 'grpc-js' }, formatMessage(...parts));
  setLogger({ error: write, info: write, debug: write });
}

function listenHttp(server: HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/**
 * Run as a program: serve until SIGTERM/SIGINT, then drain in-flight streams and exit. A
 * failure to start is said on stderr (and as a fatal JSON line when logs are JSON) and the
 * process exits with status 1.
 */
export async function main(): Promise<void> {
  const environment = process.env;
  let settings: LogSettings;
  try {
    settings = readLogSettings(environment, 'json');
  } catch (error) {
    reportStartupFailure(error, undefined);
    process.exit(1);
  }
  const logger = createLogger(settings);
  const configPath = environment.GATEWAY_CONFIG ?? DEFAULT_CONFIG_PATH;
  const graceMs = Number(environment.GATEWAY_SHUTDOWN_GRACE_MS ?? 25_000);
  const workerIndex = environment[WORKER_INDEX_VARIABLE];
  if (workerIndex === undefined) {
    let configuration: Configuration;
    try {
      configuration = loadConfigurationFile(configPath, environment);
    } catch (error) {
      reportStartupFailure(error, settings.format === 'json' ? logger : undefined);
      process.exit(1);
    }
    if (configuration.sidecar.workers > 1) {
      // This process forks the workers and serves none of Envoy's streams itself.
      try {
        await runSidecarWorkers({ configuration, environment, logger, graceMs });
      } catch (error) {
        reportStartupFailure(error, settings.format === 'json' ? logger : undefined);
        process.exit(1);
      }
      return;
    }
  }
  const worker = workerIndex === undefined ? undefined : { index: Number(workerIndex), channel: new PrimaryChannel(process, storeErrorOf) };
  let handle: GatewayHandle;
  try {
    handle = await startGateway({ configPath, environment, logger, worker });
  } catch (error) {
    // A person reading pretty logs reads the stderr text; the fatal line is for log pipelines.
    reportStartupFailure(error, settings.format === 'json' ? logger : undefined);
    process.exit(1);
  }
  // The primary counts its workers ready before it says the sidecar is.
  process.send?.({ ready: true });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, grace_ms: graceMs }, 'draining: no new streams, finishing in-flight ones');
    handle.stop(graceMs).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // A worker whose primary is gone (killed, crashed) stops too: nothing would replace it, stop it or
  // share its store, and it would hold its gRPC port against the next start.
  if (worker !== undefined) process.once('disconnect', () => stop('primary gone'));
}

if (import.meta.url === `file://${process.argv[1]}`) void main();

/** Each target's capabilities; an override that half-describes an unknown model stops the start, naming it. */
function describeCapabilities(...args: Parameters<typeof createCapabilities>): Capabilities {
  try {
    return createCapabilities(...args);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
}
