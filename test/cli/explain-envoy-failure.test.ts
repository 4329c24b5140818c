import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explainEnvoyFailure } from '../../src/cli/explain-envoy-failure.js';
import { parseConfiguration } from '../../src/config/load.js';

const configuration = parseConfiguration(
  `
listener: { port: 18080 }
envoy: { admin_port: 19901, metrics_port: 19902 }
providers: { demo: { kind: openai, base_url: 'http://127.0.0.1:11435/v1', demo: true } }
models: { demo: { provider: demo, model: demo-echo } }
`,
  {},
);

/** What Envoy 1.40 logs when a port is taken, as the relay hands it over (unescaped). */
const bindFailure = (port: number) => [
  `listener 'gateway' failed to bind or apply socket options: cannot bind '127.0.0.1:${port}': Address already in use`,
  `error \`cannot bind '127.0.0.1:${port}': Address already in use\` initializing config 'goo.gle/debugstr\n  .envoy/envoy.run.yaml'`,
  `cannot bind '127.0.0.1:${port}': Address already in use`,
];

test('a port Envoy could not bind is named with the setting that chose it', () => {
  for (const [port, setting, what] of [
    [18080, 'listener.port', "Envoy's listener"],
    [19901, 'envoy.admin_port', "Envoy's admin interface"],
    [19902, 'envoy.metrics_port', "Envoy's metrics listener"],
  ] as const) {
    const explained = explainEnvoyFailure(bindFailure(port), 1, configuration, 'my.yaml');
    assert.equal(
      explained.message,
      `${what} cannot listen on 127.0.0.1:${port}: the port is already in use by another process (is another \`make run\` or gateway running?). Stop that process, or choose a free port in ${setting} (my.yaml).`,
    );
  }
});

test("any other exit quotes Envoy's last problem and its status", () => {
  const explained = explainEnvoyFailure(['Unable to parse JSON as proto (INVALID_ARGUMENT: invalid JSON)'], 1, configuration, 'my.yaml');
  assert.equal(explained.message, 'Envoy exited with status 1: Unable to parse JSON as proto (INVALID_ARGUMENT: invalid JSON). Its log lines are above; ENVOY_LOG_LEVEL=debug shows more.');
  assert.match(explainEnvoyFailure([], null, configuration, 'my.yaml').message, /^Envoy exited with status unknown\. /);
  // A port that is none of the configuration's is quoted rather than guessed at.
  assert.match(explainEnvoyFailure(bindFailure(4444), 1, configuration, 'my.yaml').message, /^Envoy exited with status 1: cannot bind '127\.0\.0\.1:4444'/);
});
