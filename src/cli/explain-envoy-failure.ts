import type { Configuration } from '../config/schema.js';
import { explainListenFailure, type ListenTarget } from '../startup/explain-listen-failure.js';
import { StartupError } from '../startup/startup-error.js';

/**
 * Why Envoy exited, from the last lines it logged: a port it could not bind becomes the same
 * message as the sidecar's ("Envoy's listener cannot listen on 127.0.0.1:8080: the port is
 * already in use ... in listener.port (config/gateway.yaml)"); anything else quotes Envoy.
 */
export function explainEnvoyFailure(lastLines: readonly string[], exitCode: number | null, configuration: Configuration, source: string): StartupError {
  for (const line of [...lastLines].reverse()) {
    // "cannot bind '127.0.0.1:8080': Address already in use"
    const bind = /cannot bind '\[?([^'\]]*)\]?:(\d+)': ([^`'\n]+)/.exec(line);
    if (bind === null) continue;
    const port = Number(bind[2]);
    const target = envoyPorts(configuration, source).find((candidate) => candidate.port === port);
    if (target === undefined) break;
    const explained = explainListenFailure(new Error(bind[3]), { ...target, address: bind[1]! });
    if (explained instanceof StartupError) return explained;
    break;
  }
  const said = lastLines.length > 0 ? `: ${lastLines[lastLines.length - 1]}` : '';
  return new StartupError(`Envoy exited with status ${exitCode ?? 'unknown'}${said}. Its log lines are above; ENVOY_LOG_LEVEL=debug shows more.`);
}

function envoyPorts(configuration: Configuration, source: string): ListenTarget[] {
  return [
    { what: "Envoy's listener", address: configuration.listener.address, port: configuration.listener.port, setting: 'listener.port', source },
    { what: "Envoy's admin interface", address: configuration.envoy.admin_address, port: configuration.envoy.admin_port, setting: 'envoy.admin_port', source },
    { what: "Envoy's metrics listener", address: configuration.listener.address, port: configuration.envoy.metrics_port, setting: 'envoy.metrics_port', source },
  ];
}
