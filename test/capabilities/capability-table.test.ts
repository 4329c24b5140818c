import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CapabilityTableError, DEFAULT_CAPABILITY_TABLE_PATH, loadCapabilityTable, lookupCapabilities } from '../../src/capabilities/capability-table.js';
import { createCapabilities } from '../../src/capabilities/create-capabilities.js';
import { parseConfiguration } from '../../src/config/load.js';
import { buildRuntimeView } from '../../src/config/runtime.js';

const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const shipped = loadCapabilityTable(readFileSync(resolve(PACKAGE_ROOT, DEFAULT_CAPABILITY_TABLE_PATH), 'utf8'), DEFAULT_CAPABILITY_TABLE_PATH);

function problemsOf(text: string): string[] {
  try {
    loadCapabilityTable(text, 'test.yaml');
  } catch (error) {
    assert.ok(error instanceof CapabilityTableError);
    return error.problems;
  }
  assert.fail('expected the capability table to be refused');
}

describe('loadCapabilityTable', () => {
  test('loads the shipped config/capabilities.yaml', () => {
    assert.deepEqual(Object.keys(shipped).sort(), ['anthropic', 'gemini', 'openai']);
    assert.deepEqual(shipped.openai?.['o3-mini'], { context_window: 200000, max_output_tokens: 100000, tools: true, vision: false, json_schema: true, reasoning: true });
  });

  test('every problem names its path', () => {
    const problems = problemsOf(`
openai:
  a: { context_window: 0, max_output_tokens: 10, tools: true, vision: true, json_schema: true, reasoning: true }
  b: { context_window: 10, max_output_tokens: 10, tools: yes, vision: true, json_schema: true, reasoning: true, colour: blue }
  c: { context_window: 10, max_output_tokens: 10, tools: true, vision: true, json_schema: true }
`);
    assert.ok(problems.some((problem) => problem.startsWith('openai.a.context_window:')), problems.join('\n'));
    assert.ok(problems.some((problem) => problem.startsWith('openai.b.tools:')), problems.join('\n'));
    assert.ok(problems.some((problem) => problem.startsWith('openai.b:') && problem.includes('colour')), problems.join('\n'));
    assert.ok(problems.some((problem) => problem.startsWith('openai.c.reasoning:')), problems.join('\n'));
  });

  test('looks a snapshot up under its model, as prices are', () => {
    assert.equal(lookupCapabilities(shipped, 'anthropic', 'claude-sonnet-4-20250514')?.max_output_tokens, 64000);
    assert.equal(lookupCapabilities(shipped, 'gemini', 'models/gemini-2.0-flash-001')?.context_window, 1048576);
    assert.equal(lookupCapabilities(shipped, 'openai', 'not-a-model'), undefined);
    assert.equal(lookupCapabilities(shipped, 'openai', 'constructor'), undefined);
  });
});

function viewOf(yaml: string) {
  const configuration = parseConfiguration(yaml, {});
  return { configuration, view: buildRuntimeView(configuration, { environment: { KEY: 'k' } }) };
}

describe('createCapabilities', () => {
  const providers = `
providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: KEY } }
  local: { kind: openai, base_url: http://127.0.0.1:11434/v1 }
  azure: { kind: azure-openai, base_url: https://x.openai.azure.com/openai, credential: { env: KEY } }
`;

  test('the table by kind (Azure as OpenAI), with overrides by provider name, then kind, field by field', () => {
    const { configuration, view } = viewOf(`${providers}
models:
  plain: { provider: openai, model: gpt-4o }
  azure: { provider: azure, model: gpt-4o-mini }
  narrowed: { provider: local, model: gpt-4o }
  unknown: { provider: local, model: qwen3 }
  described: { provider: local, model: llama3 }
capabilities:
  local/gpt-4o: { vision: false, context_window: 8192 }
  openai/gpt-4o: { tools: false }
  openai/llama3: { context_window: 8192, max_output_tokens: 2048, tools: false, vision: false, json_schema: false, reasoning: false }
`);
    const capabilities = createCapabilities(shipped, configuration, view);
    const of = (alias: string) => capabilities.of(view.models.get(alias)!.targets[0]!);
    // "openai/gpt-4o" names the kind too, so it applies to every OpenAI-kind provider without its own entry.
    assert.deepEqual(of('plain'), { context_window: 128000, max_output_tokens: 16384, tools: false, vision: true, json_schema: true, reasoning: false });
    assert.equal(of('azure')?.context_window, 128000);
    // The provider's own entry wins over the kind's, and only the fields it sets change.
    assert.deepEqual(of('narrowed'), { context_window: 8192, max_output_tokens: 16384, tools: true, vision: false, json_schema: true, reasoning: false });
    assert.equal(of('unknown'), undefined);
    // Named by kind ("openai/llama3"), the override describes llama3 on every OpenAI-kind provider.
    assert.equal(of('described')?.max_output_tokens, 2048);
  });

  test('an override of a model the table lacks must describe it whole', () => {
    const { configuration, view } = viewOf(`${providers}
models:
  unknown: { provider: local, model: llama3 }
capabilities:
  local/llama3: { context_window: 8192 }
`);
    assert.throws(() => createCapabilities(shipped, configuration, view), /capabilities\.local\/llama3: .*must set max_output_tokens, tools, vision, json_schema, reasoning/);
  });

  test('the configuration refuses an unknown field and a context policy upgrading to an undeclared model', () => {
    assert.throws(() => viewOf(`${providers}
models:
  m: { provider: openai, model: gpt-4o, context_policy: { upgrade: nowhere } }
capabilities:
  openai/gpt-4o: { images: true }
`), (error: Error) => /capabilities\.openai\/gpt-4o/.test(error.message) && /images/.test(error.message));
    assert.throws(() => viewOf(`${providers}
models:
  m: { provider: openai, model: gpt-4o, context_policy: { upgrade: nowhere } }
`), /models\.m\.context_policy\.upgrade: no model named "nowhere"/);
  });
});
