import type { Configuration } from '../config/schema.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/;
const WILDCARD = /^(0\.0\.0\.0|::|\[::\])$/;

/**
 * What a configuration must say to run as Envoy and the sidecar in one pod, where the
 * kubelet's probes, the Service and Prometheus reach the pod IP and never its loopback.
 * Returns one line per problem, naming the configuration path; empty when it fits.
 *
 * @param text The configuration file as written: the pod reads that text, so it must not
 *   depend on ${...} placeholders the renderer and the pod could resolve differently.
 */
export function podConfigurationProblems(configuration: Configuration, text: string): string[] {
  const problems: string[] = [];
  if (/\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}/.test(text)) {
    problems.push('(file): write values, not ${...} placeholders: the pod reads this file as rendered, with none of the renderer\'s environment');
  }
  const { listener, sidecar, envoy, governance } = configuration;
  if (!WILDCARD.test(listener.address)) {
    problems.push(`listener.address: ${listener.address} is not reachable from the Service and probes; use 0.0.0.0 (the metrics listener binds there too)`);
  }
  if (!WILDCARD.test(sidecar.admin_bind_address)) {
    problems.push(`sidecar.admin_bind_address: ${sidecar.admin_bind_address} is not reachable by probes and Prometheus, which come to the pod IP; use 0.0.0.0`);
  }
  if (!LOOPBACK.test(sidecar.bind_address)) {
    problems.push(`sidecar.bind_address: ${sidecar.bind_address} exposes the ext_proc gRPC server beyond the pod; use 127.0.0.1 (Envoy is in the same pod)`);
  }
  if (!LOOPBACK.test(sidecar.address)) {
    problems.push(`sidecar.address: ${sidecar.address} is not this pod's sidecar; use 127.0.0.1`);
  }
  if (!LOOPBACK.test(envoy.admin_address)) {
    problems.push(`envoy.admin_address: ${envoy.admin_address} exposes Envoy's admin interface beyond the pod; use 127.0.0.1 (probes and scrapes use the metrics listener)`);
  }
  if (governance.store !== 'redis') {
    problems.push(`governance.store: "${governance.store}" keeps limits, budgets and run-time keys per pod, and the Deployment runs several; use redis`);
  }
  for (const [name, provider] of Object.entries(configuration.providers)) {
    if (provider.credential?.file !== undefined) {
      problems.push(`providers.${name}.credential: { file } is not rendered for Kubernetes; use { env: NAME } (its value comes from the Secret llm-gateway-credentials)`);
    }
  }
  if (governance.admin_key?.file !== undefined) {
    problems.push('governance.admin_key: { file } is not rendered for Kubernetes; use { env: NAME } (from the Secret llm-gateway-credentials)');
  }
  return problems;
}
