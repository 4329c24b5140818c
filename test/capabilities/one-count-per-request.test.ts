import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ModelCapabilities } from '../../src/capabilities/capability-table.js';
import { parseConfiguration } from '../../src/config/load.js';
import { buildRuntimeView } from '../../src/config/runtime.js';
import { RouterProcessor } from '../../src/extproc/router-processor.js';
import type { ProviderRegistry } from '../../src/providers/registry.js';
import { headers, processorDependencies } from '../support/processor-fixtures.js';

/**
 * A route choosing the cheapest of two models, each with a window too small for the cheap
 * bound to vouch for: the prompt is counted once per request, a lone target's provider
 * request written once and a chain's targets checked once, though the route's choice and the
 * chosen model's both ask.
 */
const SMALL: ModelCapabilities = { context_window: 1000, max_output_tokens: 100, tools: false, vision: false, json_schema: true, reasoning: false };
const view = buildRuntimeView(
  parseConfiguration(
    `
providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: KEY } }
models:
  small: { provider: openai, model: gpt-4o-mini }
  other: { fallback: [{ provider: openai, model: gpt-4o }, { provider: openai, model: gpt-4.1-mini }] }
routes:
  auto:
    rules:
      - { name: cheap, cheapest: [other, small] }
    default: small
`,
    {},
  ),
  { environment: { KEY: 'sk-provider-test' } },
);

function setup() {
  const counted: string[] = [];
  let written = 0;
  let checked = 0;
  const base = processorDependencies(view);
  const registry = new Map([...base.registry].map(([kind, adapter]) => [kind, { ...adapter, buildRequest: (...args: Parameters<typeof adapter.buildRequest>) => {
        written += 1;
        return adapter.buildRequest(...args);
      }, checkRequest: (...args: Parameters<typeof adapter.checkRequest>) => {
        checked += 1;
        return adapter.checkRequest(...args);
      } }]));
  const dependencies = {
    ...base,
    registry: registry as ProviderRegistry,
    capabilities: { of: () => SMALL },
    tokenCounter: {
      count: async (text: string) => {
        counted.push(text);
        return 300;
      },
      close: async () => undefined,
    },
  };
  return { processor: new RouterProcessor(dependencies), counted, written: () => written, checked: () => checked };
}

describe('one request, one count and one translation per target', () => {
  test('a route whose candidates need the tokenizer: counted once, each target written once', async () => {
    const { processor, counted, written, checked } = setup();
    processor.handle({ request: 'request_headers', request_headers: headers({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' }) });
    const body = Buffer.from(JSON.stringify({ model: 'auto', max_tokens: 10, messages: [{ role: 'user', content: 'x'.repeat(2000) }] }));
    const reply = await processor.handle({ request: 'request_body', request_body: { body, end_of_stream: true } });
    assert.equal(reply.immediate_response, undefined, reply.immediate_response?.body?.toString());
    assert.equal(counted.length, 1, 'the prompt is counted once');
    // small's one target written once (the chosen model's is not written again); other's two only
    // checked, once each: a chain's attempts write their own requests (the attempt processor).
    assert.equal(written(), 1);
    assert.equal(checked(), 2);
  });
});
