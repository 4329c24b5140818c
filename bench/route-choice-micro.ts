import { parseConfiguration } from '../src/config/load.js';
import { buildRuntimeView } from '../src/config/runtime.js';
import { BRIEF_METADATA_KEYS, METADATA_NAMESPACE, REQUEST_ID_METADATA_KEY, TARGET_ATTRIBUTE, metadataAttribute } from '../src/config/envoy-contract.js';
import { forwardedEndpointsByName } from '../src/endpoints/create-endpoint-registry.js';
import { AttemptProcessor } from '../src/extproc/attempt-processor.js';
import type { ProcessingResponse } from '../src/extproc/messages.js';
import { toProtoStruct } from '../src/extproc/proto-struct.js';
import { RouterProcessor } from '../src/extproc/router-processor.js';
import type { ProviderRegistry } from '../src/providers/registry.js';
import { headers, processorDependencies } from '../test/support/processor-fixtures.js';

/**
 * The router processor's request path, in process, for a model, a fallback chain and a route
 * that chooses the cheapest of three models: CPU per request (request headers + body; for a
 * chain, also its first attempt's, as the attempt processor writes it), and
 * how many provider requests were written (and targets only checked) per request. No Envoy,
 * no gRPC: the gateway's own logic only, so a change to routing or capabilities shows without the machine's noise.
 *
 *   node dist/bench/route-choice-micro.js [iterations]
 */
const configuration = parseConfiguration(
  `
providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: KEY } }
  anthropic: { kind: anthropic, base_url: https://api.anthropic.com/v1, credential: { env: KEY } }
models:
  one: { provider: openai, model: gpt-4o-mini, tier: 1 }
  chain: { fallback: [{ provider: openai, model: gpt-4o }, { provider: anthropic, model: claude-haiku-4-5 }, { provider: openai, model: gpt-4o-mini }] }
  mid: { provider: anthropic, model: claude-haiku-4-5, tier: 1 }
  big: { fallback: [{ provider: openai, model: gpt-4o }, { provider: anthropic, model: claude-sonnet-4-5 }], tier: 2 }
routes:
  auto:
    rules:
      - { name: cheap, cheapest: [big, mid, one], min_tier: 1 }
    default: one
`,
  {},
);
const view = buildRuntimeView(configuration, { environment: { KEY: 'sk-test' } });
const iterations = Number(process.argv[2] ?? 20_000);
const chatHeaders = headers({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' });

const endpoints = forwardedEndpointsByName();
const attemptDependencies = processorDependencies(view);

/**
 * A chain's first attempt, as Envoy would send it to the attempt processor: the router's
 * metadata as CEL attributes, the first target, the body the router handed on.
 */
function firstAttempt(reply: ProcessingResponse, registry: ProviderRegistry): void {
  const brief = reply.dynamic_metadata?.fields?.[METADATA_NAMESPACE]?.structValue?.fields ?? {};
  const targets = brief[BRIEF_METADATA_KEYS.targets]?.stringValue;
  if (targets === undefined || !targets.includes(' ')) return;
  const fields: Record<string, string> = { [TARGET_ATTRIBUTE]: targets.split(' ')[0]! };
  for (const [key, value] of Object.entries(brief)) if (value.stringValue !== undefined) fields[metadataAttribute(key)] = value.stringValue;
  if (brief[REQUEST_ID_METADATA_KEY] === undefined) throw new Error('no request id in the router metadata');
  const attempt = new AttemptProcessor({ view: attemptDependencies.view, endpoints, registry, clock: attemptDependencies.clock, pauses: attemptDependencies.pauses, backOff: attemptDependencies.backOff });
  attempt.handle({ request: 'request_headers', request_headers: chatHeaders, attributes: { 'envoy.filters.http.ext_proc': toProtoStruct(fields) } });
  attempt.handle({ request: 'request_body', request_body: { body: reply.request_body!.response!.body_mutation!.body!, end_of_stream: true } });
}

for (const model of ['one', 'chain', 'auto']) {
  const body = Buffer.from(
    JSON.stringify({
      model,
      max_tokens: 256,
      messages: [
        { role: 'system', content: 'You are a concise assistant.' },
        { role: 'user', content: 'Summarise the trade-offs of an external processing sidecar. '.repeat(8) },
      ],
    }),
  );
  const dependencies = processorDependencies(view);
  let translations = 0;
  let checks = 0;
  // Each adapter's buildRequest counted: one call is one provider request written (a chain's are
  // written by the attempt processor, one per attempt, not here); checkRequest: one target judged.
  const counted = new Map([...dependencies.registry].map(([kind, adapter]) => [kind, { ...adapter, buildRequest: (...args: Parameters<typeof adapter.buildRequest>) => {
        translations += 1;
        return adapter.buildRequest(...args);
      }, checkRequest: (...args: Parameters<typeof adapter.checkRequest>) => {
        checks += 1;
        return adapter.checkRequest(...args);
      } }]));
  const run = async (count: number) => {
    for (let index = 0; index < count; index += 1) {
      const processor = new RouterProcessor({ ...dependencies, registry: counted as ProviderRegistry });
      processor.handle({ request: 'request_headers', request_headers: chatHeaders });
      const reply = await processor.handle({ request: 'request_body', request_body: { body, end_of_stream: true } });
      if (reply.immediate_response !== undefined) throw new Error(`refused: ${reply.immediate_response.body?.toString()}`);
      processor.close('ended');
      firstAttempt(reply, counted as ProviderRegistry);
    }
  };
  await run(2000);
  translations = 0;
  checks = 0;
  const started = process.cpuUsage();
  await run(iterations);
  const used = process.cpuUsage(started);
  console.log(`${model}: ${((used.user + used.system) / iterations).toFixed(1)} µs CPU/request, ${(translations / iterations).toFixed(2)} provider requests written/request, ${(checks / iterations).toFixed(2)} targets checked/request`);
}
