import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfiguration } from '../../src/config/load.js';
import { buildRuntimeView } from '../../src/config/runtime.js';
import { createPricing, DEFAULT_PRICE_TABLE_PATH, loadPriceTableFile } from '../../src/pricing/create-pricing.js';
import { unpricedModels } from '../../src/pricing/unpriced-models.js';

describe('unpricedModels', () => {
  test('every target of every alias with no price, skipping disabled providers; priced ones and overrides are not named', () => {
    const configuration = parseConfiguration(
      `
providers:
  local: { kind: openai, base_url: http://127.0.0.1:1/v1 }
  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: OPENAI_API_KEY } }
  gone: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: NOT_SET } }
models:
  tabled: { provider: openai, model: gpt-4o-mini }
  overridden: { provider: local, model: house-model }
  chain: { fallback: [{ provider: local, model: cheap-local }, { provider: openai, model: gpt-4o-mini }] }
  mystery: { provider: local, model: mystery-1 }
  disabled: { provider: gone, model: mystery-2 }
prices:
  local/house-model: { input: 1, output: 1 }
`,
      { OPENAI_API_KEY: 'sk-test' },
    );
    const view = buildRuntimeView(configuration, { environment: { OPENAI_API_KEY: 'sk-test' } });
    const pricing = createPricing(loadPriceTableFile(DEFAULT_PRICE_TABLE_PATH), configuration, view);
    assert.deepEqual(unpricedModels(view, pricing.priceOf), [
      { alias: 'chain', provider: 'local', model: 'cheap-local' },
      { alias: 'mystery', provider: 'local', model: 'mystery-1' },
    ]);
  });
});
