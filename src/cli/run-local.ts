import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { DEFAULT_CONFIG_PATH, loadConfigurationFile } from '../config/load.js';
import { renderEnvoyBootstrap } from '../config/render-envoy.js';
import { buildRuntimeView, type Environment } from '../config/runtime.js';
import { createDemoUpstream } from '../demo/demo-upstream.js';
import { startGateway, type GatewayHandle } from '../main.js';
import { readLogSettings } from '../observability/log-settings.js';
import { createLogDestination, createLogger, type Logger } from '../observability/logger.js';
import { explainListenFailure } from '../startup/explain-listen-failure.js';
import { reportStartupFailure } from '../startup/report-startup-failure.js';
import { StartupError } from '../startup/startup-error.js';
import { checkEnvoyVersion } from './check-envoy-version.js';
import { explainEnvoyFailure } from './explain-envoy-failure.js';
import { startEnvoy, type EnvoyProcess } from './start-envoy.js';

/**
 * `make run`: the whole gateway on one machine. Starts the demo upstream (when the
 * configuration has a demo provider on this machine), the sidecar, and Envoy with a
 * bootstrap rendered from the same configuration; stops them all on Ctrl-C.
 *
 * Any failure to start (a port in use, Envoy missing or of another version, a bad or
 * unreadable configuration or credential file) is said in one readable message on stderr
 * and the process exits with status 1, stopping whatever had started. Logs are pretty
 * when stdout is a terminal and JSON otherwise, unless LOG_FORMAT says; Envoy's lines go
 * through the same logger, marked `envoy`.
 */

/** What Envoy's --log-level takes. */
const ENVOY_LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'warn', 'error', 'critical', 'off'];

interface Started {
  demos: Server[];
  gateway?: GatewayHandle;
  envoy?: EnvoyProcess;
}

async function run(environment: Environment, started: Started, setLogger: (logger: Logger) => void): Promise<void> {
  // From the start: a signal while Envoy is still starting must stop it too, not leave it running.
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await shutDown(started);
    process.exit(code);
  };
  // SIGHUP too: a closed terminal must not leave Envoy running on the gateway's ports.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0));

  const configPath = environment.GATEWAY_CONFIG || DEFAULT_CONFIG_PATH;
  const envoyBin = environment.ENVOY_BIN || 'envoy';
  const settings = readLogSettings(environment, process.stdout.isTTY ? 'pretty' : 'json');
  const destination = createLogDestination(settings.format);
  const logger = createLogger({ level: settings.level, destination });
  if (settings.format === 'json') setLogger(logger);
  // Envoy filters its own lines (ENVOY_LOG_LEVEL); its access log is printed whatever LOG_LEVEL says.
  const envoyLogger = createLogger({ level: 'trace', service: 'envoy', destination });
  const envoyLogLevel = (environment.ENVOY_LOG_LEVEL || 'warn').toLowerCase();
  if (!ENVOY_LOG_LEVELS.includes(envoyLogLevel)) {
    throw new StartupError(`ENVOY_LOG_LEVEL=${environment.ENVOY_LOG_LEVEL} is not an Envoy log level: use one of ${ENVOY_LOG_LEVELS.join(', ')}.`);
  }

  const configuration = loadConfigurationFile(configPath, environment);
  const view = buildRuntimeView(configuration, { environment });
  await checkEnvoyVersion(envoyBin);

  for (const provider of view.providers.values()) {
    if (!provider.demo || !['127.0.0.1', 'localhost', '[::1]'].includes(provider.baseUrl.hostname)) continue;
    const server = createDemoUpstream();
    const host = provider.baseUrl.hostname.replace(/^\[|\]$/g, '');
    const port = Number(provider.baseUrl.port || 80);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve)).catch((error: unknown) => {
      throw explainListenFailure(error, { what: `The demo upstream of provider ${provider.name}`, address: host, port, setting: `providers.${provider.name}.base_url`, source: configPath });
    });
    started.demos.push(server);
    logger.warn({ provider: provider.name, url: provider.baseUrl.href }, 'demo upstream started: it echoes, it is not a model');
  }

  started.gateway = await startGateway({ configPath, environment, logger });
  mkdirSync('.envoy', { recursive: true });
  const bootstrapPath = '.envoy/envoy.run.yaml';
  writeFileSync(bootstrapPath, renderEnvoyBootstrap(view, { header: `Rendered by make run from ${configPath}.` }));
  const envoy = startEnvoy({ envoyBin, bootstrapPath, logLevel: envoyLogLevel, logger: envoyLogger, configuration, source: configPath });
  started.envoy = envoy;
  await envoy.ready;
  const { listener } = configuration;
  // No curl hint without a key: the shipped configuration is closed, and its key is the README's to give.
  logger.info(`gateway listening on http://${listener.address}:${listener.port}/v1 (first requests: README, "Try it")`);

  void envoy.exited.then((code) => {
    if (stopping) return;
    reportStartupFailure(explainEnvoyFailure(envoy.relay.lastProblems(), code, configuration, configPath), settings.format === 'json' ? logger : undefined);
    void stop(1);
  });
}

async function shutDown(started: Started): Promise<void> {
  await started.envoy?.stop();
  await started.gateway?.stop(5000);
  for (const server of started.demos) server.close();
}

const started: Started = { demos: [] };
let jsonLogger: Logger | undefined;
run(process.env, started, (logger) => (jsonLogger = logger)).catch(async (error: unknown) => {
  reportStartupFailure(error, jsonLogger);
  // Stop Envoy if it was running; the sidecar and the demo upstream end with this process.
  await started.envoy?.stop();
  process.exit(1);
});
