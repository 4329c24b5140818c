import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfiguration } from '../../src/config/load.js';
import { buildRuntimeView, type TargetRuntime } from '../../src/config/runtime.js';
import { createEndpointRegistry } from '../../src/endpoints/create-endpoint-registry.js';
import { moderationsEndpoint } from '../../src/endpoints/moderations-endpoint.js';
import { GatewayError } from '../../src/errors.js';
import { createProviderRegistry } from '../../src/providers/registry.js';

const view = buildRuntimeView(
  parseConfiguration(
    `
providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: KEY } }
  azure: { kind: azure-openai, base_url: https://res.openai.azure.com/openai, api_version: 2024-10-21, credential: { env: KEY } }
  anthropic: { kind: anthropic, base_url: https://api.anthropic.com, credential: { env: KEY } }
models:
  omni: { provider: openai, model: omni-moderation-latest }
  azure: { provider: azure, model: my-deployment }
  claude: { provider: anthropic, model: claude-sonnet-4 }
`,
    {},
  ),
  { environment: { KEY: 'sk-provider-test' } },
);
const registry = createProviderRegistry();
const target = (alias: string): TargetRuntime => view.models.get(alias)!.targets[0]!;
const parse = (body: unknown) => moderationsEndpoint.parse(Buffer.from(JSON.stringify(body)), {});
const refusal = (run: () => unknown): GatewayError => {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof GatewayError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
};

describe('POST /v1/moderations', () => {
  test('is served: the registry finds it', () => {
    const found = createEndpointRegistry().match('POST', '/v1/moderations');
    assert.equal(found.endpoint?.name, 'moderations');
  });

  test('takes a string, strings, and text and image parts; refuses the rest naming the field', () => {
    const parts = [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }];
    for (const input of ['hello', ['a', 'b'], parts]) assert.deepEqual(parse({ model: 'm', input }).input, input);
    for (const [body, field] of [
      [{ input: 'x' }, 'model'],
      [{ model: 'm' }, 'input'],
      [{ model: 'm', input: [] }, 'input'],
      [{ model: 'm', input: [{ type: 'audio', data: 'x' }] }, 'input'],
      [{ model: 'm', input: 3 }, 'input'],
    ] as const) {
      const error = refusal(() => parse(body));
      assert.equal(error.status, 400, JSON.stringify(body));
      assert.ok(error.param?.startsWith(field), `${JSON.stringify(body)}: param ${error.param}`);
    }
    assert.equal(moderationsEndpoint.promptText(parse({ model: 'm', input: parts })), 'hi');
  });

  test('OpenAI targets get the body with their model name; other kinds are refused naming the model', () => {
    const upstream = moderationsEndpoint.buildUpstream(registry, parse({ model: 'omni', input: ['a'] }), target('omni'));
    assert.equal(upstream.path, '/v1/moderations');
    assert.deepEqual(JSON.parse(upstream.body.toString()), { model: 'omni-moderation-latest', input: ['a'] });
    assert.equal(upstream.headers.authorization, 'Bearer sk-provider-test');
    for (const alias of ['azure', 'claude']) {
      const error = refusal(() => moderationsEndpoint.buildUpstream(registry, parse({ model: alias, input: 'a' }), target(alias)));
      assert.equal(error.status, 400);
      assert.equal(error.param, 'model');
      assert.match(error.message, /no moderations API/);
    }
    assert.equal(moderationsEndpoint.responseHandling(registry, 'anthropic', parse({ model: 'm', input: 'a' })), undefined);
  });
});
