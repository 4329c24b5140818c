import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseConfiguration } from '../../src/config/load.js';

/** The README's Routing examples are configuration the gateway loads, with the providers they name. */
const README = readFileSync(join(fileURLToPath(new URL('../../..', import.meta.url)), 'README.md'), 'utf8');
const PROVIDERS = `providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1 }
  anthropic: { kind: anthropic, base_url: https://api.anthropic.com/v1 }
  gemini: { kind: gemini, base_url: https://generativelanguage.googleapis.com/v1beta }
`;

function yamlBlocksOf(heading: string): string[] {
  const start = README.indexOf(`\n${heading}\n`);
  assert.ok(start !== -1, `README has ${heading}`);
  const end = README.indexOf('\n## ', start + heading.length + 2);
  const section = README.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

describe("the README's Routing examples", () => {
  test('the smart_route example loads, with its rules in order', () => {
    const [routes] = yamlBlocksOf('## Routing');
    const configuration = parseConfiguration(PROVIDERS + routes, {});
    assert.deepEqual(configuration.routes.auto!.rules.map((rule) => rule.name), ['code', 'long-document', 'low-priority', 'batch-team']);
    assert.equal(configuration.models.mini!.tier, 2);
  });

  test('the latency-aware example loads: a fastest rule with a tier floor and its settings', () => {
    const [, fastest] = yamlBlocksOf('## Routing');
    const configuration = parseConfiguration(PROVIDERS + fastest, {});
    const route = configuration.routes.fast!;
    assert.deepEqual(route.rules[0]!.fastest, ['gpt-fast', 'claude-fast', 'gemini-fast', 'nano']);
    assert.equal(route.rules[0]!.min_tier, 2);
    assert.deepEqual(route.rules[1]!.fastest, ['nano', 'gpt-fast', 'gemini-fast']);
    assert.deepEqual(route.latency, { explore: 0.05, tolerance: 0.2, tolerance_ms: 20, error_penalty_ms: 2000 });
  });

  test('the drop_params example loads', () => {
    const [, , dropping] = yamlBlocksOf('## Routing');
    const configuration = parseConfiguration(dropping!, {});
    assert.equal(configuration.providers.anthropic!.drop_params, true);
    assert.equal(configuration.models.strict!.drop_params, false);
  });
});
