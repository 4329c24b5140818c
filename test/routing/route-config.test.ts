import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigurationError, parseConfiguration } from '../../src/config/load.js';

/** Routes in the configuration: validated field by field, and every alias they name checked at load. */
const base = `
providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1 }
models:
  small: { provider: openai, model: gpt-4o-mini, tier: 1 }
  large: { provider: openai, model: gpt-4o, tier: 2, drop_params: true }
`;

function problemsOf(text: string): string[] {
  try {
    parseConfiguration(text, {}, 'test.yaml');
  } catch (error) {
    assert.ok(error instanceof ConfigurationError, String(error));
    return error.problems;
  }
  assert.fail('expected the configuration to be refused');
}

describe('routes in the configuration', () => {
  test('a route with rules loads, with its defaults', () => {
    const configuration = parseConfiguration(
      `${base}routes:
  auto:
    rules:
      - { name: code, when: { last_user_message: { keywords: [python] } }, model: large }
      - { name: cheap, cheapest: [small, large], min_tier: 1 }
    default: small
`,
      {},
    );
    const route = configuration.routes.auto!;
    assert.equal(route.default, 'small');
    assert.equal(route.expected_output_tokens, 1024);
    assert.deepEqual(route.rules.map((rule) => rule.name), ['code', 'cheap']);
    assert.equal(configuration.models.large!.drop_params, true);
    assert.equal(configuration.providers.openai!.drop_params, false);
  });

  test('unknown aliases, a name shared with a model, and duplicate rule names are refused, each named', () => {
    const problems = problemsOf(`${base}routes:
  large:
    default: small
  auto:
    rules:
      - { name: a, model: missing }
      - { name: a, cheapest: [small, nowhere] }
    default: gone
`);
    assert.deepEqual(problems.sort(), [
      'routes.auto.default: no model named "gone" is declared under models',
      'routes.auto.rules.0: no model named "missing" is declared under models',
      'routes.auto.rules.1.name: "a" is used by another rule of this route',
      'routes.auto.rules.1: no model named "nowhere" is declared under models',
      "routes.large: a model has the same name; a client's model name must mean one thing",
    ].sort());
  });

  test('a rule sets one of model, cheapest or fastest; min_tier only with cheapest or fastest', () => {
    const problems = problemsOf(`${base}routes:
  auto:
    rules:
      - { name: both, model: small, cheapest: [large] }
      - { name: floor, model: small, min_tier: 2 }
      - { name: two-choices, cheapest: [small], fastest: [large] }
    default: small
`);
    assert.ok(problems.some((problem) => problem.startsWith('routes.auto.rules.0') && problem.includes('set one of model, cheapest or fastest')), problems.join('\n'));
    assert.ok(problems.some((problem) => problem.startsWith('routes.auto.rules.1.min_tier') && problem.includes('only with cheapest or fastest')), problems.join('\n'));
    assert.ok(problems.some((problem) => problem.startsWith('routes.auto.rules.2') && problem.includes('set one of model, cheapest or fastest')), problems.join('\n'));
  });

  test('a fastest rule loads with the latency settings, defaulted or set; its aliases are checked and bad settings refused', () => {
    const configuration = parseConfiguration(
      `${base}routes:
  quick:
    rules: [{ name: fast, fastest: [small, large], min_tier: 1 }]
    default: small
  tuned:
    rules: [{ name: fast, fastest: [small, large] }]
    default: small
    latency: { explore: 0.1, tolerance: 0.5, tolerance_ms: 5, error_penalty_ms: 10000 }
`,
      {},
    );
    assert.deepEqual(configuration.routes.quick!.latency, { explore: 0.05, tolerance: 0.2, tolerance_ms: 20, error_penalty_ms: 2000 });
    assert.deepEqual(configuration.routes.tuned!.latency, { explore: 0.1, tolerance: 0.5, tolerance_ms: 5, error_penalty_ms: 10000 });
    assert.deepEqual(configuration.routes.quick!.rules[0]!.fastest, ['small', 'large']);
    const problems = problemsOf(`${base}routes:
  quick:
    rules: [{ name: fast, fastest: [small, nowhere] }]
    default: small
`);
    assert.ok(problems.includes('routes.quick.rules.0: no model named "nowhere" is declared under models'), problems.join('\n'));
    const settings = problemsOf(`${base}routes:
  quick:
    rules: [{ name: fast, fastest: [small] }]
    default: small
    latency: { explore: 2 }
`);
    assert.ok(settings.some((problem) => problem.startsWith('routes.quick.latency.explore')), settings.join('\n'));
  });
});
