import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readLogSettings } from '../../src/observability/log-settings.js';
import { StartupError } from '../../src/startup/startup-error.js';

test('LOG_LEVEL and LOG_FORMAT default to info and the given format, and take any case', () => {
  assert.deepEqual(readLogSettings({}, 'json'), { level: 'info', format: 'json' });
  assert.deepEqual(readLogSettings({}, 'pretty'), { level: 'info', format: 'pretty' });
  assert.deepEqual(readLogSettings({ LOG_LEVEL: 'DEBUG', LOG_FORMAT: 'Pretty' }, 'json'), { level: 'debug', format: 'pretty' });
  assert.deepEqual(readLogSettings({ LOG_LEVEL: '', LOG_FORMAT: 'json' }, 'pretty'), { level: 'info', format: 'json' });
});

test('a value that is not a level or a format stops the start, naming the variable and what it takes', () => {
  for (const [environment, pattern] of [
    [{ LOG_LEVEL: 'verbose' }, /^LOG_LEVEL=verbose is not a log level: use one of trace, debug, info, warn, error, fatal, silent\.$/],
    [{ LOG_LEVEL: 'warning' }, /^LOG_LEVEL=warning is not a log level/],
    [{ LOG_FORMAT: 'text' }, /^LOG_FORMAT=text is not a log format: use json .* or pretty/],
  ] as const) {
    assert.throws(() => readLogSettings(environment, 'json'), (error: unknown) => error instanceof StartupError && pattern.test(error.message));
  }
});
