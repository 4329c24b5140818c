import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { DEFAULT_CONFIG_PATH, loadConfigurationFile } from '../config/load.js';
import { renderEnvoyBootstrap } from '../config/render-envoy.js';
import { buildRuntimeView } from '../config/runtime.js';
import { createDemoUpstream } from '../demo/demo-upstream.js';
import { startGateway } from '../main.js';
import { readLogSettings } from '../observability/log-settings.js';
import { createLogDestination, createLogger, type Logger } from '../observability/logger.js';
import { ENVOY_LOG_FORMAT, relayEnvoyOutput } from './relay-envoy-output.js';

/**
 * `make run`: the whole gateway on one machine. Starts the demo upstream (when the
 * configuration has a demo provider on this machine), the sidecar, and Envoy with a
 * bootstrap rendered from the same configuration; stops them all on Ctrl-C.
 *
 * Logs are pretty when stdout is a terminal and JSON otherwise, unless LOG_FORMAT says;
 * Envoy's lines go through the same logger, marked `envoy`.
 */
const environment = process.env;
const configPath = environment.GATEWAY_CONFIG ?? DEFAULT_CONFIG_PATH;
const envoyBin = environment.ENVOY_BIN ?? 'envoy';
let logger: Logger | undefined;

async function run(): Promise<void> {
  const settings = readLogSettings(environment, process.stdout.isTTY ? 'pretty' : 'json');
  const destination = createLogDestination(settings.format);
  const sidecarLogger = createLogger({ level: settings.level, destination });
  logger = sidecarLogger;
  // Envoy filters its own lines (ENVOY_LOG_LEVEL); its access log is printed whatever LOG_LEVEL says.
  const envoyLogger = createLogger({ level: 'trace', service: 'envoy', destination });
  const configuration = loadConfigurationFile(configPath, environment);
  const view = buildRuntimeView(configuration, { environment });

  const demos: Server[] = [];
  for (const provider of view.providers.values()) {
    if (!provider.demo || !['127.0.0.1', 'localhost', '[::1]'].includes(provider.baseUrl.hostname)) continue;
    const server = createDemoUpstream();
    const port = Number(provider.baseUrl.port || 80);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, provider.baseUrl.hostname, resolve));
    demos.push(server);
    sidecarLogger.warn({ provider: provider.name, url: provider.baseUrl.href }, 'demo upstream started: it echoes, it is not a model');
  }

  const gateway = await startGateway({ configPath, environment, logger: sidecarLogger });
  mkdirSync('.envoy', { recursive: true });
  const bootstrapPath = '.envoy/envoy.run.yaml';
  writeFileSync(bootstrapPath, renderEnvoyBootstrap(view, { header: `Rendered by make run from ${configPath}.` }));
  const envoy = spawn(
    envoyBin,
    [
      ...['-c', bootstrapPath, '--disable-hot-restart', '--log-level', environment.ENVOY_LOG_LEVEL ?? 'warn'],
      ...['--log-format', ENVOY_LOG_FORMAT, '--log-format-escaped'],
      // Access log lines show up within a quarter second instead of Envoy's default of ten.
      ...['--file-flush-interval-msec', '250'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  relayEnvoyOutput({ stdout: envoy.stdout, stderr: envoy.stderr }, envoyLogger);
  const { listener } = configuration;
  sidecarLogger.info(`gateway listening on http://${listener.address}:${listener.port}/v1 (try: curl http://${listener.address}:${listener.port}/v1/models)`);

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    envoy.kill('SIGTERM');
    await gateway.stop(5000);
    for (const server of demos) server.close();
    process.exit(code);
  };
  envoy.on('exit', (code) => {
    if (!stopping) sidecarLogger.error({ code }, 'envoy exited');
    void stop(code ?? 1);
  });
  envoy.on('error', (error) => {
    sidecarLogger.error({ err: error, envoy: envoyBin }, 'cannot start envoy (set ENVOY_BIN, or run `make run` to install it)');
    void stop(1);
  });
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
}

run().catch((error: unknown) => {
  if (logger === undefined) process.stderr.write(`${(error as Error).message}\n`);
  else logger.fatal({ err: error }, (error as Error).message);
  process.exitCode = 1;
});
