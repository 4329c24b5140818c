import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { isPinnedImage } from '../../src/kubernetes/build-kubernetes-manifests.js';
import { envoyBinary, PACKAGE_ROOT } from '../support/gateway-harness.js';
import { podBindings, reachableFromOutsidePod, type PodBinding } from '../support/gateway-pod-bindings.js';
import { kustomize, parseResources, validateManifests } from '../support/kubernetes-tools.js';

/**
 * No cluster runs here, so the manifests are checked offline: the checked-in base must be
 * what `make render-kubernetes` writes; `kubectl kustomize` must build the base and the
 * example overlay; the official schemas (kubernetes-validate, strict) must accept every
 * resource; and what the pod is told (probes, ports, Service, scrapes, shutdown) must agree
 * with what its two processes actually bind, read from the ConfigMaps it mounts.
 */
const BASE = join(PACKAGE_ROOT, 'deploy/kubernetes/base');
const OVERLAY = join(PACKAGE_ROOT, 'deploy/kubernetes/overlays/example');
/** The oldest Kubernetes minor still maintained upstream when this was written, and the newest the validator knows. */
const KUBERNETES_VERSIONS = ['1.30.0', '1.37.0'];
const makefile = readFileSync(join(PACKAGE_ROOT, 'Makefile'), 'utf8');
const envoyVersion = /^ENVOY_VERSION := (\S+)$/m.exec(makefile)![1]!;
const packageVersion = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Probe {
  httpGet?: { path: string; port: string | number };
  tcpSocket?: { port: string | number };
  exec?: unknown;
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { runAsUser?: number; allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[]; add?: string[] } };
}
interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
  securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
  volumes?: Record<string, unknown>[];
}
interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; namespace?: string };
  data?: Record<string, string>;
  automountServiceAccountToken?: boolean;
  spec?: {
    replicas?: number;
    selector?: Record<string, string> | { matchLabels: Record<string, string> };
    template?: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
    ports?: { name: string; port: number; targetPort: string | number }[];
    scaleTargetRef?: { kind: string; name: string };
    minReplicas?: number;
  };
}

/** A built set of manifests, and the facts about the pod they describe. */
class GatewayManifests {
  readonly resources: Resource[];
  readonly bindings: PodBinding[];
  constructor(readonly text: string) {
    this.resources = parseResources(text) as unknown as Resource[];
    const data = (name: string, key: string) => this.one('ConfigMap', name).data![key]!;
    this.bindings = podBindings(data('llm-gateway-config', 'gateway.yaml'), data('llm-gateway-envoy', 'envoy.yaml'));
  }
  one(kind: string, name: string): Resource {
    const found = this.resources.filter((resource) => resource.kind === kind && resource.metadata.name === name);
    assert.equal(found.length, 1, `one ${kind} ${name}`);
    return found[0]!;
  }
  get pod(): PodSpec {
    return this.one('Deployment', 'llm-gateway').spec!.template!.spec;
  }
  container(name: string): Container {
    const container = this.pod.containers.find((candidate) => candidate.name === name);
    assert.ok(container, `a container ${name}`);
    return container;
  }
  /** A named (or numbered) port of one container, as Kubernetes resolves a probe's port: in the probe's own container. */
  containerPort(container: Container, port: string | number): number {
    if (typeof port === 'number') return port;
    const found = container.ports?.find((candidate) => candidate.name === port);
    assert.ok(found, `container ${container.name} declares no port named ${port}`);
    return found.containerPort;
  }
  binding(port: number): PodBinding | undefined {
    return this.bindings.find((binding) => binding.port === port);
  }
}

interface ScrapeConfigs {
  scrape_configs: { job_name: string; metrics_path: string; relabel_configs: { source_labels?: string[]; regex?: string; action?: string }[] }[];
}
const SCRAPE_CONFIGS = parse(readFileSync(join(PACKAGE_ROOT, 'deploy/kubernetes/prometheus/scrape-configs.yaml'), 'utf8')) as ScrapeConfigs;

/**
 * What keeps a probe from working: the kubelet connects to the pod IP, and resolves a named
 * port in the probe's own container. Each problem is one line; none means every probe works.
 */
function probeProblems(manifests: GatewayManifests): string[] {
  const problems: string[] = [];
  for (const container of manifests.pod.containers) {
    for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
      const probe = container[kind];
      if (!probe) continue;
      const where = `${container.name} ${kind}`;
      const target = probe.httpGet ?? probe.tcpSocket;
      if (!target) {
        problems.push(`${where}: not an HTTP or TCP probe`);
        continue;
      }
      problems.push(...portProblems(manifests, where, container, target.port, probe.httpGet?.path));
    }
  }
  return problems;
}

/** The same for Prometheus's pod discovery: one target per declared container port, on the pod IP. */
function scrapeProblems(manifests: GatewayManifests, configs: ScrapeConfigs): string[] {
  const problems: string[] = [];
  const appLabel = manifests.one('Deployment', 'llm-gateway').spec!.template!.metadata.labels['app.kubernetes.io/name'];
  for (const job of configs.scrape_configs) {
    const keep = job.relabel_configs.find((rule) => rule.action === 'keep');
    const [app, portName] = (keep?.regex ?? '').split(';') as [string, string | undefined];
    if (app !== appLabel || portName === undefined) {
      problems.push(`${job.job_name}: does not keep the gateway's pods by a port name`);
      continue;
    }
    const container = manifests.pod.containers.find((candidate) => candidate.ports?.some((port) => port.name === portName));
    if (!container) problems.push(`${job.job_name}: no container declares a port named ${portName}`);
    else problems.push(...portProblems(manifests, job.job_name, container, portName, job.metrics_path));
  }
  return problems;
}

function portProblems(manifests: GatewayManifests, where: string, container: Container, port: string | number, path: string | undefined): string[] {
  const number = typeof port === 'number' ? port : container.ports?.find((candidate) => candidate.name === port)?.containerPort;
  if (number === undefined) return [`${where}: container ${container.name} declares no port named ${port}`];
  const binding = manifests.binding(number);
  if (!binding) return [`${where}: nothing in the pod binds port ${number}`];
  if (binding.container !== container.name) return [`${where}: port ${number} is bound in the ${binding.container} container, not ${container.name}`];
  if (!reachableFromOutsidePod(binding.address)) return [`${where}: ${binding.what} binds ${binding.address}:${number}, unreachable from outside the pod`];
  if (path !== undefined && binding.paths !== undefined && !binding.paths.includes(path)) return [`${where}: ${binding.what} does not serve ${path}`];
  return [];
}

function render(directory: string): void {
  execFileSync(
    process.execPath,
    ['dist/src/cli/gateway.js', 'render-kubernetes', '--config', 'config/gateway.kubernetes.yaml', '--out', directory, '--envoy-image', `envoyproxy/envoy:v${envoyVersion}`, '--sidecar-image', `llm-gateway-sidecar:${packageVersion}`],
    { cwd: PACKAGE_ROOT, stdio: 'pipe' },
  );
}

describe('deploy/kubernetes/base is generated from config/gateway.kubernetes.yaml', () => {
  test('the checked-in files are what `make render-kubernetes` writes, and no others (run `make render` if this fails)', () => {
    const fresh = mkdtempSync(join(tmpdir(), 'llm-gateway-k8s-render-'));
    render(fresh);
    assert.deepEqual(readdirSync(BASE).sort(), readdirSync(fresh).sort());
    for (const file of readdirSync(fresh)) assert.equal(readFileSync(join(BASE, file), 'utf8'), readFileSync(join(fresh, file), 'utf8'), `${file} is stale`);
  });

  test('the laptop configuration is refused for a pod, naming each problem, and nothing is written', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'llm-gateway-k8s-refused-')), 'base');
    const result = spawnSync(process.execPath, ['dist/src/cli/gateway.js', 'render-kubernetes', '--config', 'config/gateway.yaml', '--out', out, '--envoy-image', 'envoyproxy/envoy:v1.40.0', '--sidecar-image', 'sidecar:1'], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
    assert.equal(result.status, 1);
    for (const path of ['(file)', 'listener.address', 'sidecar.admin_bind_address', 'governance.store']) assert.ok(result.stderr.includes(`  - ${path}: `), `${path} in:\n${result.stderr}`);
    assert.ok(!existsSync(out));
  });

  test('kustomization.yaml lists every resource file of the base', () => {
    const kustomization = parse(readFileSync(join(BASE, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    assert.deepEqual([...kustomization.resources].sort(), readdirSync(BASE).filter((file) => file !== 'kustomization.yaml').sort());
  });

  test('the pod reads config/gateway.kubernetes.yaml as written, and Envoy accepts its bootstrap with the container\'s arguments', () => {
    const manifests = new GatewayManifests(kustomize(BASE));
    assert.equal(manifests.one('ConfigMap', 'llm-gateway-config').data!['gateway.yaml'], readFileSync(join(PACKAGE_ROOT, 'config/gateway.kubernetes.yaml'), 'utf8'));
    const directory = mkdtempSync(join(tmpdir(), 'llm-gateway-k8s-envoy-'));
    const bootstrap = join(directory, 'envoy.yaml');
    writeFileSync(bootstrap, manifests.one('ConfigMap', 'llm-gateway-envoy').data!['envoy.yaml']!);
    const envoy = manifests.container('envoy');
    const args = [...envoy.args!];
    args[args.indexOf('--config-path') + 1] = bootstrap;
    // --mode validate: Envoy 1.40 parses the arguments and loads the whole bootstrap without serving.
    const output = execFileSync(envoyBinary(), ['--mode', 'validate', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(output, /OK/);
  });
});

describe('the probe and scrape checks catch the pod shapes that cannot work', () => {
  const text = kustomize(BASE);
  /** The base with its gateway configuration edited, as a ConfigMap edit (or an overlay) would. */
  const withConfiguration = (edit: (configuration: string) => string) => {
    const resources = parseResources(text) as unknown as Resource[];
    const configMap = resources.find((resource) => resource.kind === 'ConfigMap' && resource.metadata.name === 'llm-gateway-config')!;
    const before = configMap.data!['gateway.yaml']!;
    configMap.data!['gateway.yaml'] = edit(before);
    assert.notEqual(configMap.data!['gateway.yaml'], before, 'the edit applied');
    return new GatewayManifests(resources.map((resource) => stringify(resource)).join('---\n'));
  };

  test("the README's old shape: the admin server on loopback, probed and scraped at the pod IP", () => {
    const manifests = withConfiguration((configuration) => configuration.replace(/admin_bind_address: 0\.0\.0\.0/, 'admin_bind_address: 127.0.0.1'));
    assert.deepEqual(probeProblems(manifests), [
      "sidecar readinessProbe: the sidecar's admin server binds 127.0.0.1:9090, unreachable from outside the pod",
      "sidecar livenessProbe: the sidecar's admin server binds 127.0.0.1:9090, unreachable from outside the pod",
    ]);
    assert.deepEqual(scrapeProblems(manifests, SCRAPE_CONFIGS), ["llm-gateway-sidecar: the sidecar's admin server binds 127.0.0.1:9090, unreachable from outside the pod"]);
  });

  test('a probe on a port the configuration moved, on a path not served, or on a port of the other container', () => {
    const moved = withConfiguration((configuration) => configuration.replace(/admin_port: 9090/, 'admin_port: 9095'));
    assert.deepEqual(probeProblems(moved), ['sidecar readinessProbe: nothing in the pod binds port 9090', 'sidecar livenessProbe: nothing in the pod binds port 9090']);
    const resources = parseResources(text) as unknown as Resource[];
    const pod = resources.find((resource) => resource.kind === 'Deployment')!.spec!.template!.spec;
    const [envoy, sidecar] = ['envoy', 'sidecar'].map((name) => pod.containers.find((container) => container.name === name)!) as [Container, Container];
    envoy.readinessProbe = { httpGet: { path: '/healthz', port: 'envoy-metrics' } };
    sidecar.ports!.push({ name: 'envoy-admin', containerPort: 9901 });
    sidecar.livenessProbe = { httpGet: { path: '/livez', port: 'envoy-admin' } };
    const manifests = new GatewayManifests(resources.map((resource) => stringify(resource)).join('---\n'));
    assert.deepEqual(probeProblems(manifests), [
      'envoy readinessProbe: Envoy listener metrics does not serve /healthz',
      'sidecar livenessProbe: port 9901 is bound in the envoy container, not sidecar',
    ]);
  });
});

for (const [label, directory] of [
  ['the base', BASE],
  ['the example overlay', OVERLAY],
] as const) {
  describe(`kubectl kustomize ${label}`, () => {
    const manifests = new GatewayManifests(kustomize(directory));
    const envoy = manifests.container('envoy');
    const sidecar = manifests.container('sidecar');

    for (const version of KUBERNETES_VERSIONS) {
      test(`every resource is valid against the Kubernetes ${version} schemas (strict)`, () => {
        const report = validateManifests(manifests.text, version);
        assert.deepEqual(report.problems, []);
        assert.equal(report.exitCode, 0);
        assert.equal(report.passed.length, manifests.resources.length, 'every resource was checked');
      });
    }

    test('every probe reaches, from outside the pod, a port its own container binds on all addresses, and a path served there', () => {
      assert.deepEqual(probeProblems(manifests), []);
      const probed = manifests.pod.containers.flatMap((container) => (['readinessProbe', 'livenessProbe'] as const).filter((kind) => container[kind]).map((kind) => `${container.name} ${kind}`));
      assert.deepEqual(probed.sort(), ['envoy livenessProbe', 'envoy readinessProbe', 'sidecar livenessProbe', 'sidecar readinessProbe']);
      assert.equal(envoy.readinessProbe?.httpGet?.path, '/ready', "Envoy's readiness is its own /ready (503 while starting and draining)");
      assert.equal(sidecar.readinessProbe?.httpGet?.path, '/healthz');
      assert.equal(sidecar.livenessProbe?.httpGet?.path, '/livez', 'liveness must not fail while the sidecar drains');
    });

    test('Prometheus scrapes ports bound on all addresses, at paths served there, by the port names the pod declares', () => {
      assert.deepEqual(scrapeProblems(manifests, SCRAPE_CONFIGS), []);
      assert.deepEqual(
        SCRAPE_CONFIGS.scrape_configs.map((job) => [job.job_name, job.metrics_path]),
        [
          ['llm-gateway-sidecar', '/metrics'],
          ['llm-gateway-envoy', '/stats/prometheus'],
        ],
      );
    });

    test('the Service exposes only Envoy\'s client listener; the gRPC and admin ports stay inside the pod', () => {
      const service = manifests.one('Service', 'llm-gateway');
      assert.equal(service.spec!.ports!.length, 1);
      const port = manifests.containerPort(envoy, service.spec!.ports![0]!.targetPort);
      const binding = manifests.binding(port)!;
      assert.equal(binding.what, 'Envoy listener gateway');
      assert.ok(reachableFromOutsidePod(binding.address));
      for (const inside of manifests.bindings.filter((candidate) => candidate.what === "the sidecar's gRPC server" || candidate.what === "Envoy's admin interface")) {
        assert.ok(!reachableFromOutsidePod(inside.address), `${inside.what} binds ${inside.address}: it must stay on loopback`);
        const declared = manifests.pod.containers.flatMap((container) => container.ports ?? []).map((declaredPort) => declaredPort.containerPort);
        assert.ok(!declared.includes(inside.port), `${inside.what} (port ${inside.port}) is not declared as a container port`);
      }
    });

    test('the Service, PodDisruptionBudget and autoscaler select the Deployment\'s pods; the autoscaler owns the replica count', () => {
      const deployment = manifests.one('Deployment', 'llm-gateway');
      const labels = deployment.spec!.template!.metadata.labels;
      const matches = (selector: Record<string, string>) => Object.entries(selector).every(([key, value]) => labels[key] === value);
      assert.ok(matches(manifests.one('Service', 'llm-gateway').spec!.selector as Record<string, string>));
      assert.ok(matches((manifests.one('PodDisruptionBudget', 'llm-gateway').spec!.selector as { matchLabels: Record<string, string> }).matchLabels));
      const autoscaler = manifests.one('HorizontalPodAutoscaler', 'llm-gateway');
      assert.deepEqual(autoscaler.spec!.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'llm-gateway' });
      assert.ok(autoscaler.spec!.minReplicas! >= 2, 'two pods at least, so one can drain or move');
      assert.equal(deployment.spec!.replicas, undefined, 'a replica count here would fight the autoscaler on every apply');
      for (const container of manifests.pod.containers) assert.ok(container.resources?.requests?.cpu, `${container.name} requests CPU: the autoscaler's utilization needs it`);
    });

    test('images are pinned: Envoy to the tested version, the sidecar to a tag or digest', () => {
      assert.equal(envoy.image, `envoyproxy/envoy:v${envoyVersion}`);
      for (const container of manifests.pod.containers) assert.ok(isPinnedImage(container.image), `${container.name}: ${container.image}`);
    });

    test('no secret value is in a ConfigMap or the Deployment; keys come from Secrets the operator creates', () => {
      assert.ok(!manifests.resources.some((resource) => resource.kind === 'Secret'), 'no Secret is shipped');
      const configuration = manifests.one('ConfigMap', 'llm-gateway-config').data!['gateway.yaml']!;
      const everything = manifests.text;
      for (const pattern of [/sk-[A-Za-z0-9_-]{16,}/, /sk-ant-[A-Za-z0-9_-]{8,}/, /AIza[0-9A-Za-z_-]{30,}/, /rediss?:\/\/[^\s'"]*:[^\s'"]*@/]) assert.doesNotMatch(everything, pattern);
      assert.doesNotMatch(configuration, /credential:\s*\{\s*file/, 'credentials by environment variable, from the Secret');
      const fromSecrets = sidecar.env!.filter((variable) => variable.valueFrom?.secretKeyRef);
      assert.deepEqual(
        fromSecrets.map((variable) => [variable.name, variable.valueFrom!.secretKeyRef!.name, variable.valueFrom!.secretKeyRef!.optional]),
        [
          ['OPENAI_API_KEY', 'llm-gateway-credentials', true],
          ['ANTHROPIC_API_KEY', 'llm-gateway-credentials', true],
          ['GEMINI_API_KEY', 'llm-gateway-credentials', true],
          ['GATEWAY_ADMIN_KEY', 'llm-gateway-credentials', true],
          ['REDIS_URL', 'llm-gateway-redis', false],
        ],
      );
      for (const variable of sidecar.env!) {
        if (variable.value !== undefined) assert.ok(!/KEY|TOKEN|PASSWORD|SECRET|URL/.test(variable.name), `${variable.name} is written in the manifest`);
      }
      assert.equal(envoy.env, undefined, 'Envoy never sees a key: the sidecar writes it per attempt');
    });

    test('both containers run non-root, read-only, without capabilities or privilege escalation, under RuntimeDefault seccomp, with no API token', () => {
      assert.equal(manifests.pod.securityContext?.runAsNonRoot, true);
      assert.equal(manifests.pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
      assert.equal(manifests.pod.automountServiceAccountToken, false);
      assert.equal(manifests.one('ServiceAccount', manifests.pod.serviceAccountName!).automountServiceAccountToken, false);
      for (const container of manifests.pod.containers) {
        const context = container.securityContext!;
        assert.ok(context.runAsUser! > 0, `${container.name} runs as a numeric non-root user (runAsNonRoot cannot check a user name)`);
        assert.equal(context.allowPrivilegeEscalation, false);
        assert.equal(context.readOnlyRootFilesystem, true);
        assert.deepEqual(context.capabilities, { drop: ['ALL'] });
        assert.ok(container.resources?.requests?.memory && container.resources.limits?.memory, `${container.name} has memory requests and limits`);
      }
      // The "restricted" Pod Security Standard admits only these volume types.
      for (const volume of manifests.pod.volumes ?? []) assert.ok('configMap' in volume || 'emptyDir' in volume || 'secret' in volume, JSON.stringify(volume));
    });

    test('shutdown: Envoy drains and outlives the requests it took; the sidecar outlives Envoy\'s drain; the grace period covers both', () => {
      const envoyArgument = (name: string) => envoy.args![envoy.args!.indexOf(name) + 1];
      const drainTime = Number(envoyArgument('--drain-time-s'));
      const envoyPreStop = envoy.lifecycle!.preStop!.exec!.command;
      assert.equal(envoyPreStop[0], 'sleep');
      const envoyStays = Number(envoyPreStop[1]);
      const hook = sidecar.lifecycle!.preStop!.exec!.command;
      assert.deepEqual(hook.slice(0, 3), ['node', '/app/dist/src/cli/gateway.js', 'drain-envoy']);
      const deadline = Number(/^(\d+)s$/.exec(hook[hook.indexOf('--deadline') + 1]!)![1]);
      const sidecarGrace = Number(sidecar.env!.find((variable) => variable.name === 'GATEWAY_SHUTDOWN_GRACE_MS')!.value) / 1000;
      const grace = manifests.pod.terminationGracePeriodSeconds!;
      assert.ok(drainTime < deadline, 'the listener stops before the sidecar\'s hook gives up waiting');
      assert.ok(deadline <= envoyStays, 'Envoy is still there while the sidecar\'s hook waits on it');
      assert.ok(grace > envoyStays, 'Envoy\'s hook ends before the kubelet kills it');
      assert.ok(grace > deadline + sidecarGrace, 'the sidecar finishes its own drain (GATEWAY_SHUTDOWN_GRACE_MS) after its hook, inside the grace period');
      assert.ok(envoy.args!.includes('--drain-strategy') && envoyArgument('--drain-strategy') === 'immediate', 'every request after the drain starts is told to close its connection');
    });
  });
}
