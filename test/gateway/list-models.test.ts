import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfiguration } from '../../src/config/load.js';
import { buildRuntimeView } from '../../src/config/runtime.js';
import { GatewayError } from '../../src/errors.js';
import { listModels, retrieveModel, ROUTE_OWNER } from '../../src/gateway/list-models.js';

/** GET /v1/models: models, then routes; a route is listed when the key may use it and one of its models is available. */
const view = buildRuntimeView(
  parseConfiguration(
    `
providers:
  open: { kind: openai, base_url: https://example.test/v1 }
  locked: { kind: openai, base_url: https://example.test/v1, credential: { env: MISSING_KEY } }
models:
  small: { provider: open, model: small }
  large: { provider: open, model: large }
  gone: { provider: locked, model: gone }
routes:
  auto:
    rules: [{ name: quick, fastest: [small, large] }]
    default: small
  dead:
    default: gone
`,
    {},
  ),
  { environment: {} },
);
const ids = (body: Record<string, unknown>) => (body.data as Array<{ id: string; owned_by: string }>).map((model) => `${model.id}:${model.owned_by}`);

describe('listModels and retrieveModel', () => {
  test('the available models, then the routes with an available model', () => {
    assert.deepEqual(ids(listModels(view, 1)), ['small:open', 'large:open', `auto:${ROUTE_OWNER}`]);
  });

  test("only what the caller's key may use", () => {
    assert.deepEqual(ids(listModels(view, 1, (alias) => alias === 'auto')), [`auto:${ROUTE_OWNER}`]);
    assert.deepEqual(ids(listModels(view, 1, (alias) => alias === 'small')), ['small:open']);
  });

  test('retrieved by id: a route, a model; a name the key may not use is not found; a route with no available model is not available', () => {
    assert.deepEqual(retrieveModel(view, 'auto', 7, () => true), { id: 'auto', object: 'model', created: 7, owned_by: ROUTE_OWNER });
    assert.deepEqual(retrieveModel(view, 'large', 7, () => true), { id: 'large', object: 'model', created: 7, owned_by: 'open' });
    const codeOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        assert.ok(error instanceof GatewayError);
        return `${error.status} ${error.code}`;
      }
      assert.fail('expected a refusal');
    };
    assert.equal(codeOf(() => retrieveModel(view, 'auto', 7, (alias) => alias !== 'auto')), '404 model_not_found');
    assert.equal(codeOf(() => retrieveModel(view, 'nowhere', 7, () => true)), '404 model_not_found');
    assert.equal(codeOf(() => retrieveModel(view, 'dead', 7, () => true)), '404 model_not_available');
  });
});
