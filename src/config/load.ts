import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { describeFileError } from '../startup/describe-file-error.js';
import { StartupError } from '../startup/startup-error.js';
import { interpolateEnvironment } from './interpolate.js';
import type { Environment } from './runtime.js';
import { configurationSchema, type Configuration } from './schema.js';
import { routeProblems } from '../routing/route-schema.js';

/** Where the gateway looks for its configuration when GATEWAY_CONFIG is not set. */
export const DEFAULT_CONFIG_PATH = 'config/gateway.yaml';

export class ConfigurationError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid gateway configuration in ${source}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

/**
 * Reads and validates a configuration file. Throws a StartupError when the file cannot be
 * read, and a ConfigurationError listing every problem when it is not a valid configuration.
 */
export function loadConfigurationFile(path: string, environment: Environment): Configuration {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new StartupError(
      `Cannot read the gateway configuration ${resolve(path)}: ${describeFileError(error)}. Point GATEWAY_CONFIG at your configuration file (the default is ${DEFAULT_CONFIG_PATH}, relative to the working directory).`,
      { cause: error },
    );
  }
  return parseConfiguration(text, environment, path);
}

/** Parses and validates configuration text; every problem names its path in the file. */
export function parseConfiguration(text: string, environment: Environment, source = '<inline>'): Configuration {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigurationError(
      source,
      document.errors.map((error) => `YAML: ${error.message.split('\n')[0]}`),
    );
  }
  const interpolationProblems: string[] = [];
  const tree = interpolateEnvironment(document.toJS() ?? {}, environment, interpolationProblems);
  if (interpolationProblems.length > 0) throw new ConfigurationError(source, interpolationProblems);
  const result = configurationSchema.safeParse(tree);
  if (!result.success) throw new ConfigurationError(source, result.error.issues.map(describeIssue));
  const configuration = result.data;
  const problems = crossReferenceProblems(configuration);
  if (problems.length > 0) throw new ConfigurationError(source, problems);
  return configuration;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
  return `${path}: ${issue.message}`;
}

/** Checks zod cannot express field by field: references between sections. */
function crossReferenceProblems(configuration: Configuration): string[] {
  const problems: string[] = routeProblems(configuration.routes, configuration.models);
  for (const [alias, model] of Object.entries(configuration.models)) {
    if (model.provider !== undefined && configuration.providers[model.provider] === undefined) {
      problems.push(`models.${alias}.provider: no provider named "${model.provider}" is declared under providers`);
    }
    if (typeof model.context_policy === 'object') {
      const upgrade = model.context_policy.upgrade;
      if (configuration.models[upgrade] === undefined) problems.push(`models.${alias}.context_policy.upgrade: no model named "${upgrade}" is declared under models`);
      else if (upgrade === alias) problems.push(`models.${alias}.context_policy.upgrade: a model cannot upgrade to itself`);
    }
    (model.fallback ?? []).forEach((level, index) => {
      const targets = 'balance' in level ? level.balance.map((target, inner) => [target, `models.${alias}.fallback.${index}.balance.${inner}`] as const) : [[level, `models.${alias}.fallback.${index}`] as const];
      for (const [target, path] of targets) {
        if (configuration.providers[target.provider] === undefined) problems.push(`${path}.provider: no provider named "${target.provider}" is declared under providers`);
      }
    });
  }
  const aliases = new Set<string>();
  const hashes = new Set<string>();
  configuration.keys.forEach((key, index) => {
    if (aliases.has(key.alias)) problems.push(`keys.${index}.alias: "${key.alias}" is used by another key`);
    if (hashes.has(key.hash)) problems.push(`keys.${index}.hash: the same key is declared twice`);
    aliases.add(key.alias);
    hashes.add(key.hash);
  });
  if (configuration.governance.require_keys !== undefined) {
    problems.push('governance.require_keys: replaced by governance.mode, which is "closed" (every request needs a key) unless set to "open"');
  }
  if (configuration.resilience.max_attempts < configuration.resilience.attempts_per_level) {
    problems.push('resilience.max_attempts: must be at least attempts_per_level');
  }
  for (const [providerName, provider] of Object.entries(configuration.providers)) {
    if (provider.kind === 'azure-openai' && !new URL(provider.base_url).hostname) {
      problems.push(`providers.${providerName}.base_url: expected the Azure resource's URL`);
    }
  }
  const { sidecar } = configuration;
  if (sidecar.grpc_port + sidecar.workers - 1 > 65535) problems.push(`sidecar.workers: worker ${sidecar.workers - 1} would serve on port ${sidecar.grpc_port + sidecar.workers - 1}, above 65535`);
  const workerPorts = Array.from({ length: sidecar.workers - 1 }, (_, index) => [`sidecar.grpc_port + ${index + 1} (worker ${index + 1})`, sidecar.grpc_port + index + 1] as const);
  const ports = [
    ['listener.port', configuration.listener.port],
    ['sidecar.grpc_port', configuration.sidecar.grpc_port],
    ...workerPorts,
    ['sidecar.admin_port', configuration.sidecar.admin_port],
    ['envoy.admin_port', configuration.envoy.admin_port],
    ['envoy.metrics_port', configuration.envoy.metrics_port],
  ] as const;
  const seen = new Map<number, string>();
  for (const [path, value] of ports) {
    const other = seen.get(value);
    if (other !== undefined) problems.push(`${path}: port ${value} is already used by ${other}`);
    seen.set(value, path);
  }
  return problems;
}
