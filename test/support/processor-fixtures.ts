import { createTargetPauses } from '../../src/resilience/target-pauses.js';
import { parseConfiguration } from '../../src/config/load.js';
import { createEndpointRegistry } from '../../src/endpoints/create-endpoint-registry.js';
import { buildRuntimeView, type RuntimeView } from '../../src/config/runtime.js';
import type { GatewayError } from '../../src/errors.js';
import type { Meter, RefusedRequest, RequestOutcome } from '../../src/gateway/meter.js';
import type { RequestContext } from '../../src/gateway/request-context.js';
import { RequestStore } from '../../src/gateway/request-store.js';
import { createLogger } from '../../src/observability/logger.js';
import type { HttpHeaders } from '../../src/extproc/messages.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import { Writable } from 'node:stream';
import { Governance } from '../../src/governance/governance.js';
import { createKeyring } from '../../src/governance/keyring.js';
import { fakeGovernanceStore } from './fake-governance-store.js';
import { createRequestPipeline } from '../../src/pipeline/create-request-pipeline.js';

/**
 * A small configuration and fake dependencies for driving the processors without Envoy:
 * `gpt` has one target (the router writes its provider request), `chain` two (the attempt processor does).
 */
export function testView(environment: Record<string, string> = { KEY: 'sk-provider-test' }): RuntimeView {
  const configuration = parseConfiguration(
    `
providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: KEY } }
models:
  gpt: { provider: openai, model: gpt-4o }
  chain: { fallback: [{ provider: openai, model: gpt-4o }, { provider: openai, model: gpt-4o-mini }] }
`,
    {},
  );
  return buildRuntimeView(configuration, { environment });
}

export interface RecordingMeter extends Meter {
  readonly outcomes: RequestOutcome[];
  readonly refusals: GatewayError[];
  /** What each refusal's log line says about its request, in the order of `refusals`. */
  readonly refusedRequests: RefusedRequest[];
}

export function recordingMeter(): RecordingMeter {
  const outcomes: RequestOutcome[] = [];
  const refusals: GatewayError[] = [];
  const refusedRequests: RefusedRequest[] = [];
  return {
    outcomes,
    refusals,
    refusedRequests,
    start: () => undefined,
    record: (outcome) => void outcomes.push(outcome),
    refuse: (error, request) => {
      refusals.push(error);
      refusedRequests.push(request);
    },
  };
}

export function silentLogger() {
  return createLogger({ level: 'silent', destination: new Writable({ write: (_chunk, _encoding, callback) => callback() }) });
}

export function processorDependencies(view = testView()) {
  let time = 1000;
  let sequence = 0;
  const store = new RequestStore<RequestContext>({ ttlMs: 60_000, maxEntries: 100, now: () => time });
  const governanceStore = fakeGovernanceStore();
  // An open gateway with no keys, and a flat price of a micro-dollar per token.
  const pricing = { maxCost: () => 0, cost: (_target: unknown, usage: { totalTokens: number }) => usage.totalTokens * 1e-6 };
  const governance = new Governance({
    keyring: createKeyring({ declared: [], store: governanceStore, requireKeys: false, cacheTtlMs: 1000 }),
    store: governanceStore,
    pricing,
    onStoreUnavailable: 'deny',
    clock: () => 1_760_000_000_000,
    newId: () => 'reservation',
    reservationTtlMs: 60_000,
    onStoreError: () => undefined,
  });
  return {
    view: () => view,
    store,
    registry: createProviderRegistry(),
    endpoints: createEndpointRegistry(),
    meter: recordingMeter(),
    logger: silentLogger(),
    now: () => time,
    advance: (milliseconds: number) => (time += milliseconds),
    clock: () => 1_760_000_000_000,
    newId: () => `00000000-0000-4000-8000-${String(++sequence).padStart(12, '0')}`,
    tokenCounter: { count: async (text: string) => Math.ceil(text.length / 4), close: async () => undefined },
    governance,
    governanceStore,
    pricing,
    pauses: createTargetPauses(() => time),
    // No model is described: nothing is checked against capabilities.
    capabilities: { of: () => undefined },
    backOff: { overloadedPauseMs: 10_000, maxPauseMs: 300_000 },
    pipeline: createRequestPipeline(),
  };
}

export function headers(record: Record<string, string>, endOfStream = false): HttpHeaders {
  return {
    headers: { headers: Object.entries(record).map(([key, value]) => ({ key, raw_value: Buffer.from(value) })) },
    end_of_stream: endOfStream,
  };
}
