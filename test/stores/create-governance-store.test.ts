import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseConfiguration } from '../../src/config/load.js';
import { StartupError } from '../../src/startup/startup-error.js';
import { createGovernanceStore } from '../../src/stores/create-governance-store.js';
import { MemoryGovernanceStore } from '../../src/stores/memory-governance-store.js';
import { SqliteGovernanceStore } from '../../src/stores/sqlite-governance-store.js';

const minimal = `
providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: OPENAI_API_KEY } }
models:
  gpt-4o-mini: { provider: openai, model: gpt-4o-mini }
`;

describe('createGovernanceStore', () => {
  const directory = mkdtempSync(join(tmpdir(), 'create-governance-store-'));
  after(() => rmSync(directory, { recursive: true, force: true }));

  test('the default is a SQLite file at data/gateway.db; memory is asked for by name', async () => {
    const defaults = parseConfiguration(minimal, {});
    assert.equal(defaults.governance.store, 'sqlite');
    assert.equal(defaults.governance.sqlite.path, 'data/gateway.db');
    const path = join(directory, 'default.db');
    const sqlite = createGovernanceStore(parseConfiguration(`${minimal}governance: { sqlite: { path: '${path}' } }\n`, {}), {}, Date.now());
    assert.ok(sqlite instanceof SqliteGovernanceStore);
    await sqlite.close();
    assert.ok(createGovernanceStore(parseConfiguration(`${minimal}governance: { store: memory }\n`, {}), {}, Date.now()) instanceof MemoryGovernanceStore);
  });

  test('a file another gateway holds, or one that cannot be opened, is a start-up error naming the setting and the path', async () => {
    const path = join(directory, 'held.db');
    const configuration = parseConfiguration(`${minimal}governance: { sqlite: { path: '${path}' } }\n`, {});
    const holder = createGovernanceStore(configuration, {}, Date.now());
    try {
      assert.throws(
        () => createGovernanceStore(configuration, {}, Date.now()),
        (error: unknown) => error instanceof StartupError && error.message.startsWith(`governance.sqlite.path: ${path} is in use by another gateway process`),
      );
    } finally {
      await holder.close();
    }
    const notADirectory = join(directory, 'a-file');
    writeFileSync(notADirectory, '');
    const unopenable = parseConfiguration(`${minimal}governance: { sqlite: { path: '${notADirectory}/gateway.db' } }\n`, {});
    assert.throws(
      () => createGovernanceStore(unopenable, {}, Date.now()),
      (error: unknown) => error instanceof StartupError && error.message.startsWith(`governance.sqlite.path: cannot open ${notADirectory}/gateway.db:`),
    );
  });
});
