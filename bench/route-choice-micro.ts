import { parseConfiguration } from '../src/config/load.js';
import { buildRuntimeView } from '../src/config/runtime.js';
import { RouterProcessor } from '../src/extproc/router-processor.js';
import type { ProviderRegistry } from '../src/providers/registry.js';
import { headers, processorDependencies } from '../test/support/processor-fixtures.js';

/**
 * The router processor's request path, in process, for a model, a fallback chain and a route
 * that chooses the cheapest of three models: CPU per request (request headers + body), and
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
