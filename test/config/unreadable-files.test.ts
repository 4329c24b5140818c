import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfigurationFile, parseConfiguration } from '../../src/config/load.js';
import { readCredential } from '../../src/config/read-credential.js';
import { buildRuntimeView } from '../../src/config/runtime.js';
import { StartupError } from '../../src/startup/startup-error.js';

/**
 * A file the configuration depends on that cannot be read stops the start with one sentence
 * naming the file, the setting and why; it never quietly disables what it was for.
 */
const directory = mkdtempSync(join(tmpdir(), 'llm-gateway-unreadable-'));
const missing = join(directory, 'missing');
const aDirectory = join(directory, 'a-directory');
mkdirSync(aDirectory);
const empty = join(directory, 'empty');
writeFileSync(empty, '\n');

const withKeyFile = (path: string) => `
providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { file: ${path} } }
models:
  gpt: { provider: openai, model: gpt-4o }
`;

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof StartupError, `expected a StartupError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected the start to be refused');
}

describe('credential files', () => {
  test("a provider's key file that is missing or a directory stops the start, naming file, setting and reason", () => {
    assert.equal(
      refusal(() => buildRuntimeView(parseConfiguration(withKeyFile(missing), {}), { environment: {} })),
      `Cannot read the credential file ${missing} (providers.openai.credential.file): it does not exist. Mount or create it, make it readable by this user, or remove the setting.`,
    );
    assert.match(refusal(() => buildRuntimeView(parseConfiguration(withKeyFile(aDirectory), {}), { environment: {} })), /a-directory \(providers\.openai\.credential\.file\): it is a directory, not a file\./);
  });

  test('an empty key file disables the provider, as an unset variable does', () => {
    const view = buildRuntimeView(parseConfiguration(withKeyFile(empty), {}), { environment: {} });
    assert.match(view.providers.get('openai')!.unavailableReason ?? '', /is empty/);
  });

  test('the admin key file too: an unreadable one would silently turn the admin API off', () => {
    assert.match(refusal(() => readCredential({ file: missing }, {}, 'governance.admin_key')), /\(governance\.admin_key\.file\): it does not exist/);
    assert.equal(readCredential({ env: 'ADMIN' }, {}, 'governance.admin_key'), undefined);
    assert.equal(readCredential({ env: 'ADMIN' }, { ADMIN: ' secret ' }, 'governance.admin_key'), 'secret');
  });
});

describe('the configuration file', () => {
  test('missing or unreadable: one sentence with its full path and how to point at another', () => {
    assert.equal(
      refusal(() => loadConfigurationFile(missing, {})),
      `Cannot read the gateway configuration ${missing}: it does not exist. Point GATEWAY_CONFIG at your configuration file (the default is config/gateway.yaml, relative to the working directory).`,
    );
    assert.match(refusal(() => loadConfigurationFile(aDirectory, {})), /a-directory: it is a directory, not a file\. Point GATEWAY_CONFIG/);
  });
});
