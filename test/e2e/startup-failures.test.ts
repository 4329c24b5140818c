import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { PACKAGE_ROOT } from '../support/gateway-harness.js';
import { freeRunPorts, holdPort, runToExit, writeRunConfiguration, type Exited, type RunPorts } from '../support/launch.js';

/**
 * Every way the gateway can fail to start ends the same way: one readable sentence on stderr
 * naming what failed and where, no stack, and exit status 1, never a hang. For `make run`
 * (run-local.js) and for the container's `gateway.js serve`, whose stdout also carries the
 * message as one fatal JSON line for log pipelines.
 */
const RUN = 'dist/src/cli/run-local.js';
const SERVE = ['dist/src/cli/gateway.js', 'serve'];

function portInUse(what: string, port: number, setting: string, configPath: string): string {
  return `${what} cannot listen on 127.0.0.1:${port}: the port is already in use by another process (is another \`make run\` or gateway running?). Stop that process, or choose a free port in ${setting} (${configPath}).\n`;
}

function assertRefused(exited: Exited, stderr: string): void {
  assert.equal(exited.code, 1, `exit status\n${exited.stderr}`);
  assert.equal(exited.stderr, stderr);
  assert.ok(!/\n\s+at /.test(exited.stderr), 'a stack was printed');
}

/** Starts `args` with one of the configuration's ports taken by another process. */
async function withPortTaken(args: string[], choose: (ports: RunPorts) => number, environment: Record<string, string> = {}) {
  const ports = await freeRunPorts();
  const configPath = writeRunConfiguration(ports);
  const port = choose(ports);
  const holder = await holdPort(port);
  try {
    return { exited: await runToExit(args, { GATEWAY_CONFIG: configPath, ...environment }), configPath, port };
  } finally {
    await holder.release();
  }
}

describe('make run refuses to start, saying why', () => {
  for (const [what, setting, choose] of [
    ["The sidecar's gRPC server (ext_proc)", 'sidecar.grpc_port', (ports: RunPorts) => ports.grpc],
    ["The sidecar's admin server (/healthz, /metrics)", 'sidecar.admin_port', (ports: RunPorts) => ports.admin],
    ["Envoy's admin interface", 'envoy.admin_port', (ports: RunPorts) => ports.envoyAdmin],
    ["Envoy's metrics listener", 'envoy.metrics_port', (ports: RunPorts) => ports.envoyMetrics],
    ['The demo upstream of provider demo', 'providers.demo.base_url', (ports: RunPorts) => ports.demo],
  ] as const) {
    test(`when ${setting} is taken`, async () => {
      const { exited, configPath, port } = await withPortTaken([RUN], choose);
      assertRefused(exited, portInUse(what, port, setting, configPath));
    });
  }

  test('when the configuration is invalid: the same list `check` prints', async () => {
    const ports = await freeRunPorts();
    const configPath = writeRunConfiguration(ports);
    writeFileSync(configPath, 'listener: { port: 700000 }\nproviders: { demo: { kind: openia, base_url: http://127.0.0.1:1/v1 } }\nmodels: {}\n');
    let check = '';
    try {
      execFileSync(process.execPath, [join(PACKAGE_ROOT, 'dist/src/cli/gateway.js'), 'check', '--config', configPath], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      check = (error as { stderr: string }).stderr;
    }
    assert.match(check, /^invalid gateway configuration in .*gateway\.yaml:\n {2}- listener\.port: .*\n {2}- providers\.demo\.kind: /);
    assertRefused(await runToExit([RUN], { GATEWAY_CONFIG: configPath }), check);
  });

  test('when the configuration file or a credential file cannot be read', async () => {
    const ports = await freeRunPorts();
    const configPath = writeRunConfiguration(ports);
    const missing = join(configPath, '..', 'nowhere.yaml');
    assertRefused(
      await runToExit([RUN], { GATEWAY_CONFIG: missing }),
      `Cannot read the gateway configuration ${missing}: it does not exist. Point GATEWAY_CONFIG at your configuration file (the default is config/gateway.yaml, relative to the working directory).\n`,
    );
    const withKeyFile = writeRunConfiguration(ports, { openai: { kind: 'openai', base_url: 'https://api.openai.com/v1', credential: { file: '/run/secrets/not-mounted' } } });
    assertRefused(
      await runToExit([RUN], { GATEWAY_CONFIG: withKeyFile }),
      'Cannot read the credential file /run/secrets/not-mounted (providers.openai.credential.file): it does not exist. Mount or create it, make it readable by this user, or remove the setting.\n',
    );
  });

  test('when Envoy is missing, or is not Envoy 1.40', async () => {
    const configPath = writeRunConfiguration(await freeRunPorts());
    assertRefused(
      await runToExit([RUN], { GATEWAY_CONFIG: configPath, ENVOY_BIN: '/nonexistent/envoy' }),
      'Envoy was not found at /nonexistent/envoy. Run `make run`, which installs Envoy 1.40 into .envoy/, or set ENVOY_BIN to an Envoy 1.40 binary.\n',
    );
    // A program that answers --version with something else (here node, whose version is no Envoy's).
    assertRefused(
      await runToExit([RUN], { GATEWAY_CONFIG: configPath, ENVOY_BIN: process.execPath }),
      `${process.execPath} is not a recognisable Envoy; the gateway needs Envoy 1.40. Unset ENVOY_BIN so that \`make run\` uses the Envoy it installs into .envoy/, or point ENVOY_BIN at an Envoy 1.40 binary.\n`,
    );
  });

  test('when LOG_LEVEL, LOG_FORMAT or ENVOY_LOG_LEVEL is not a value they take', async () => {
    const configPath = writeRunConfiguration(await freeRunPorts());
    const refused = async (environment: Record<string, string>) => runToExit([RUN], { GATEWAY_CONFIG: configPath, ...environment });
    assertRefused(await refused({ LOG_LEVEL: 'verbose' }), 'LOG_LEVEL=verbose is not a log level: use one of trace, debug, info, warn, error, fatal, silent.\n');
    assert.match((await refused({ LOG_FORMAT: 'text' })).stderr, /^LOG_FORMAT=text is not a log format/);
    assert.match((await refused({ ENVOY_LOG_LEVEL: 'loud' })).stderr, /^ENVOY_LOG_LEVEL=loud is not an Envoy log level/);
  });
});

describe('gateway.js serve (the container entry point) refuses to start, saying why', () => {
  for (const [what, setting, choose] of [
    ["The sidecar's gRPC server (ext_proc)", 'sidecar.grpc_port', (ports: RunPorts) => ports.grpc],
    // The gRPC port is bound by then: the process must still end, not keep serving half a gateway.
    ["The sidecar's admin server (/healthz, /metrics)", 'sidecar.admin_port', (ports: RunPorts) => ports.admin],
  ] as const) {
    test(`when ${setting} is taken: stderr for people, one fatal JSON line for pipelines`, async () => {
      const { exited, configPath, port } = await withPortTaken(SERVE, choose);
      const sentence = portInUse(what, port, setting, configPath);
      assertRefused(exited, sentence);
      const fatal = exited.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.level === 'fatal');
      assert.deepEqual(fatal.map((line) => line.msg), [sentence.trimEnd()]);
    });
  }

  test('when the configuration is invalid, with LOG_FORMAT=pretty: the readable list, and no JSON', async () => {
    const ports = await freeRunPorts();
    const configPath = writeRunConfiguration(ports);
    writeFileSync(configPath, 'providers: { demo: { kind: openai, base_url: http://127.0.0.1:1/v1 } }\nmodels: { demo: { provider: nobody, model: x } }\n');
    const exited = await runToExit(SERVE, { GATEWAY_CONFIG: configPath, LOG_FORMAT: 'pretty' });
    assertRefused(exited, `invalid gateway configuration in ${configPath}:\n  - models.demo.provider: no provider named "nobody" is declared under providers\n`);
    assert.equal(exited.stdout, '');
  });
});
