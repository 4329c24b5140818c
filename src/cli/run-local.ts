import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { DEFAULT_CONFIG_PATH, loadConfigurationFile } from '../config/load.js';
import { renderEnvoyBootstrap } from '../config/render-envoy.js';
import { buildRuntimeView } from '../config/runtime.js';
import { createDemoUpstream } from '../demo/demo-upstream.js';
import { startGateway } from '../main.js';
import { createLogger } from '../observability/logger.js';

/**
 * `make run`: the whole gateway on one machine. Starts the demo upstream (when the
 * configuration has a demo provider on this machine), the sidecar, and Envoy with a
 * bootstrap rendered from the same configuration; stops them all on Ctrl-C.
 */
const environment = process.env;
const configPath = environment.GATEWAY_CONFIG ?? DEFAULT_CONFIG_PATH;
const envoyBin = environment.ENVOY_BIN ?? 'envoy';
const logger = createLogger({ level: environment.LOG_LEVEL ?? 'info' });

async function run(): Promise<void> {
  const configuration = loadConfigurationFile(configPath, environment);
  const view = buildRuntimeView(configuration, { environment });

  const demos: Server[] = [];
  for (const provider of view.providers.values()) {
    if (!provider.demo || !['127.0.0.1', 'localhost', '[::1]'].includes(provider.baseUrl.hostname)) continue;
    const server = createDemoUpstream();
    const port = Number(provider.baseUrl.port || 80);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, provider.baseUrl.hostname, resolve));
    demos.push(server);
    logger.warn({ provider: provider.name, url: provider.baseUrl.href }, 'demo upstream started: it echoes, it is not a model');
  }

  const gateway = await startGateway({ configPath, environment, logger });
  mkdirSync('.envoy', { recursive: true });
  const bootstrapPath = '.envoy/envoy.run.yaml';
  writeFileSync(bootstrapPath, renderEnvoyBootstrap(view, { header: `Rendered by make run from ${configPath}.` }));
  const envoy = spawn(envoyBin, ['-c', bootstrapPath, '--disable-hot-restart', '--log-level', environment.ENVOY_LOG_LEVEL ?? 'warn'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const { listener } = configuration;
  logger.info(`gateway listening on http://${listener.address}:${listener.port}/v1 (try: curl http://${listener.address}:${listener.port}/v1/models)`);

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
    if (!stopping) logger.error({ code }, 'envoy exited');
    void stop(code ?? 1);
  });
  envoy.on('error', (error) => {
    logger.error({ err: error, envoy: envoyBin }, 'cannot start envoy (set ENVOY_BIN, or run `make run` to install it)');
    void stop(1);
  });
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
}

run().catch((error: unknown) => {
  logger.fatal({ err: error }, (error as Error).message);
  logger.flush();
  process.exitCode = 1;
});
