import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { GARBAGE_COLLECTOR_FLAGS, tuneGarbageCollector } from '../src/tune-garbage-collector.js';

test("every GC flag is one this Node's V8 knows (setFlagsFromString ignores unknown ones silently)", () => {
  const known = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
  for (const flag of GARBAGE_COLLECTOR_FLAGS) {
    const name = flag.replace(/^--(no-)?/, '').replace(/=.*$/, '');
    assert.match(known, new RegExp(`^\\s+--${name} `, 'm'), `${name} is not a V8 option here`);
  }
  tuneGarbageCollector();
});
