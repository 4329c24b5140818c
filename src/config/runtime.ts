import { readFileSync } from 'node:fs';
import type { Environment } from './environment.js';
import { readCredentialFile } from './read-credential.js';
import type { Configuration, ProviderKind } from './schema.js';
import { Secret } from './secret.js';

/**
 * The sidecar's frozen, indexed view of the configuration: built once at start (and anew
 * on reload), then only read on the request path.
 */
export interface ProviderRuntime {
  readonly name: string;
  readonly kind: ProviderKind;
  readonly baseUrl: URL;
  /** Host header value the provider expects (host, plus port when not the scheme's default). */
  readonly authority: string;
  /** Path prefix from the base URL, without a trailing slash ("/v1", "/openai", ""). */
  readonly pathPrefix: string;
  readonly tls: boolean;
  readonly credential: Secret | undefined;
  readonly demo: boolean;
  readonly apiVersion: string | undefined;
  readonly connectTimeout: string;
  /** Why requests cannot be sent to this provider (a missing credential), or undefined when they can. */
  readonly unavailableReason: string | undefined;
}

export interface TargetRuntime {
  /** Stable id written into the Envoy endpoint's metadata, read back per attempt. */
  readonly id: string;
  readonly provider: ProviderRuntime;
  /** The model name the provider knows. */
  readonly model: string;
  /** Level in the fallback chain: 0 is tried first (an Envoy endpoint priority). */
  readonly priority: number;
  /** Share of its level's traffic. */
  readonly weight: number;
}

export interface ModelRoute {
  readonly alias: string;
  /** The Envoy cluster serving this model; the router writes it into the routing header. */
  readonly cluster: string;
  /** Every target of the chain, ordered by priority. */
  readonly targets: readonly TargetRuntime[];
  readonly ownedBy: string;
  readonly demo: boolean;
}

/**
 * Whether Envoy runs the attempt processor on each attempt's request for this model. With one
 * target every retry goes to the same provider, so the router writes the provider's request
 * once, in the request body reply; the attempt processor then sees only failed answers (a
 * provider's request to pause): a success costs no second gRPC stream.
 */
export function hasAttemptProcessor(route: ModelRoute): boolean {
  return route.targets.length > 1;
}

export interface RuntimeView {
  readonly configuration: Configuration;
  readonly providers: ReadonlyMap<string, ProviderRuntime>;
  readonly models: ReadonlyMap<string, ModelRoute>;
  readonly targets: ReadonlyMap<string, TargetRuntime>;
}

/** Re-exported: callers that build a runtime view name the environment from here. */
export type { Environment };

export interface RuntimeDependencies {
  environment: Environment;
  readFile?: (path: string) => string;
}

export function buildRuntimeView(configuration: Configuration, dependencies: RuntimeDependencies): RuntimeView {
  const readFile = dependencies.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const providers = new Map<string, ProviderRuntime>();
  for (const [name, provider] of Object.entries(configuration.providers)) {
    const baseUrl = new URL(provider.base_url);
    const tls = baseUrl.protocol === 'https:';
    let credential: Secret | undefined;
    let unavailableReason: string | undefined;
    if (provider.credential?.env !== undefined) {
      const value = dependencies.environment[provider.credential.env]?.trim();
      if (value) credential = new Secret(value);
      else unavailableReason = `its credential is not set (environment variable ${provider.credential.env})`;
    } else if (provider.credential?.file !== undefined) {
      // A file the configuration names but cannot be read is a deployment mistake (a secret not
      // mounted, wrong permissions): refuse to start rather than serve without the provider.
      const value = readCredentialFile(provider.credential.file, `providers.${name}.credential.file`, readFile);
      if (value) credential = new Secret(value);
      else unavailableReason = `its credential file ${provider.credential.file} is empty`;
    }
    providers.set(
      name,
      Object.freeze({
        name,
        kind: provider.kind,
        baseUrl,
        authority: baseUrl.host,
        pathPrefix: baseUrl.pathname.replace(/\/+$/, ''),
        tls,
        credential,
        demo: provider.demo,
        apiVersion: provider.api_version,
        connectTimeout: provider.connect_timeout,
        unavailableReason,
      }),
    );
  }

  const models = new Map<string, ModelRoute>();
  const targets = new Map<string, TargetRuntime>();
  const clusterNames = new Set<string>();
  for (const [alias, model] of Object.entries(configuration.models)) {
    const levels = model.fallback ?? [{ provider: model.provider!, model: model.model! }];
    const routeTargets: TargetRuntime[] = [];
    levels.forEach((level, priority) => {
      const members = 'balance' in level ? level.balance : [{ ...level, weight: 1 }];
      for (const member of members) {
        const provider = providers.get(member.provider);
        if (provider === undefined) throw new Error(`model ${alias} names unknown provider ${member.provider}`);
        const target: TargetRuntime = Object.freeze({ id: `${alias}#${routeTargets.length}`, provider, model: member.model, priority, weight: member.weight });
        routeTargets.push(target);
        targets.set(target.id, target);
      }
    });
    const first = routeTargets[0]!;
    models.set(
      alias,
      Object.freeze({
        alias,
        cluster: uniqueClusterName(alias, clusterNames),
        targets: Object.freeze(routeTargets),
        ownedBy: model.owned_by ?? first.provider.name,
        demo: routeTargets.every((target) => target.provider.demo),
      }),
    );
  }
  return Object.freeze({ configuration, providers, models, targets });
}

/** Envoy cluster names double as stat prefixes, so keep them to a tame alphabet. */
function uniqueClusterName(alias: string, taken: Set<string>): string {
  const base = `model_${alias.toLowerCase().replace(/[^a-z0-9_-]+/g, '_')}`;
  let candidate = base;
  for (let suffix = 2; taken.has(candidate); suffix += 1) candidate = `${base}_${suffix}`;
  taken.add(candidate);
  return candidate;
}

/** The models a client may use right now: those whose provider has its credential. */
export function availableModels(view: RuntimeView): ModelRoute[] {
  return [...view.models.values()].filter((route) => route.targets.some((target) => !target.provider.unavailableReason));
}
