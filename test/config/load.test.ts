import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigurationError, parseConfiguration } from '../../src/config/load.js';
import { buildRuntimeView } from '../../src/config/runtime.js';

const minimal = `
providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1, credential: { env: OPENAI_API_KEY } }
models:
  gpt-4o-mini: { provider: openai, model: gpt-4o-mini }
`;

function problemsOf(text: string, environment: Record<string, string> = {}): string[] {
  try {
    parseConfiguration(text, environment, 'test.yaml');
  } catch (error) {
    assert.ok(error instanceof ConfigurationError);
    return error.problems;
  }
  assert.fail('expected the configuration to be refused');
}

describe('parseConfiguration', () => {
  test('fills documented defaults', () => {
    const configuration = parseConfiguration(minimal, {});
    assert.equal(configuration.listener.port, 8080);
    assert.equal(configuration.listener.address, '127.0.0.1');
    assert.equal(configuration.listener.max_request_bytes, 16 * 1024 * 1024);
    assert.equal(configuration.sidecar.grpc_port, 50051);
    assert.equal(configuration.sidecar.admin_port, 9090);
    assert.equal(configuration.envoy.request_timeout, '0s');
  });

  test('the gateway is closed unless the configuration opens it; the old require_keys says what replaced it', () => {
    assert.equal(parseConfiguration(minimal, {}).governance.mode, 'closed');
    assert.equal(parseConfiguration(`${minimal}governance: { mode: open }\n`, {}).governance.mode, 'open');
    assert.deepEqual(problemsOf(`${minimal}governance: { require_keys: false }\n`), [
      'governance.require_keys: replaced by governance.mode, which is "closed" (every request needs a key) unless set to "open"',
    ]);
  });

  test('the admin server binds where the gRPC server does unless told otherwise', () => {
    assert.equal(parseConfiguration(minimal, {}).sidecar.admin_bind_address, '127.0.0.1');
    assert.equal(parseConfiguration(`sidecar: { bind_address: 0.0.0.0 }\n${minimal}`, {}).sidecar.admin_bind_address, '0.0.0.0');
    const pod = parseConfiguration(`sidecar: { bind_address: 127.0.0.1, admin_bind_address: 0.0.0.0 }\n${minimal}`, {});
    assert.deepEqual([pod.sidecar.bind_address, pod.sidecar.admin_bind_address], ['127.0.0.1', '0.0.0.0']);
  });

  test('every problem names its path', () => {
    const problems = problemsOf(`
listener: { port: 70000, colour: blue }
providers:
  openai: { kind: openia, base_url: ftp://x, credential: { env: OPENAI_API_KEY, file: /k } }
models:
  m: { provider: nobody, model: x }
`);
    assert.ok(problems.some((problem) => problem.startsWith('listener.port:')), problems.join('\n'));
    assert.ok(problems.some((problem) => problem.startsWith('listener:') && problem.includes('colour')), problems.join('\n'));
    assert.ok(problems.some((problem) => problem.startsWith('providers.openai.kind:')), problems.join('\n'));
    assert.ok(problems.some((problem) => problem.startsWith('providers.openai.base_url:')), problems.join('\n'));
    assert.ok(problems.some((problem) => problem.startsWith('providers.openai.credential:') && problem.includes('exactly one')), problems.join('\n'));
  });

  test('a model naming an unknown provider is refused with its path', () => {
    const problems = problemsOf(`
providers:
  openai: { kind: openai, base_url: https://api.openai.com/v1 }
models:
  m: { provider: nobody, model: x }
`);
    assert.deepEqual(problems, ['models.m.provider: no provider named "nobody" is declared under providers']);
  });

  test('YAML syntax errors and duplicate keys are reported', () => {
    assert.match(problemsOf('providers: [unclosed')[0]!, /^YAML:/);
    assert.match(problemsOf('models: {}\nmodels: {}')[0]!, /^YAML:.*[Mm]ap keys must be unique/);
  });

  test('ports may not collide', () => {
    const problems = problemsOf(`${minimal}\nsidecar: { admin_port: 8080 }\n`);
    assert.deepEqual(problems, ['sidecar.admin_port: port 8080 is already used by listener.port']);
  });

  test('sidecar workers serve on grpc_port + index: those ports may not collide either', () => {
    const problems = problemsOf(`${minimal}\nsidecar: { grpc_port: 9088, admin_port: 9090, workers: 3 }\n`);
    assert.deepEqual(problems, ['sidecar.admin_port: port 9090 is already used by sidecar.grpc_port + 2 (worker 2)']);
  });

  test('sidecar.pass_through_observability_mode needs one worker: the observer stream must reach the request\'s process', () => {
    assert.equal(parseConfiguration(`${minimal}\nsidecar: { pass_through_observability_mode: true }\n`, {}).sidecar.pass_through_observability_mode, true);
    assert.equal(parseConfiguration(minimal, {}).sidecar.pass_through_observability_mode, false, 'off by default');
    const problems = problemsOf(`${minimal}\nsidecar: { pass_through_observability_mode: true, workers: 2 }\n`);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^sidecar\.pass_through_observability_mode: needs sidecar\.workers: 1/);
  });

  test('${NAME:-default} placeholders come from the given environment', () => {
    // Inside a YAML flow map ({ ... }) a placeholder must be quoted; in block style it need not be.
    const text = minimal.replace('https://api.openai.com/v1', '"${OPENAI_BASE:-https://api.openai.com/v1}"');
    assert.equal(parseConfiguration(text, {}).providers.openai?.base_url, 'https://api.openai.com/v1');
    assert.equal(parseConfiguration(text, { OPENAI_BASE: 'http://10.0.0.1:8000/v1' }).providers.openai?.base_url, 'http://10.0.0.1:8000/v1');
    assert.deepEqual(problemsOf(minimal.replace('https://api.openai.com/v1', '"${NO_SUCH}"')), [
      'providers.openai.base_url: environment variable NO_SUCH is not set and has no default',
    ]);
  });
});

describe('buildRuntimeView', () => {
  test('credentials come from the environment and never print', () => {
    const view = buildRuntimeView(parseConfiguration(minimal, {}), { environment: { OPENAI_API_KEY: 'sk-secret-value' } });
    const provider = view.providers.get('openai')!;
    assert.equal(provider.credential?.reveal(), 'sk-secret-value');
    assert.equal(provider.unavailableReason, undefined);
    assert.ok(!JSON.stringify(provider).includes('sk-secret-value'));
    assert.ok(!String(provider.credential).includes('sk-secret-value'));
    assert.equal(provider.pathPrefix, '/v1');
    assert.equal(provider.authority, 'api.openai.com');
    assert.equal(provider.tls, true);
  });

  test('a provider without its key is unavailable, and says which variable to set', () => {
    const view = buildRuntimeView(parseConfiguration(minimal, {}), { environment: {} });
    assert.match(view.providers.get('openai')!.unavailableReason ?? '', /OPENAI_API_KEY/);
  });

  test('credential files are read and trimmed', () => {
    const text = minimal.replace('{ env: OPENAI_API_KEY }', '{ file: /run/secrets/openai }');
    const view = buildRuntimeView(parseConfiguration(text, {}), { environment: {}, readFile: () => 'sk-from-file\n' });
    assert.equal(view.providers.get('openai')!.credential?.reveal(), 'sk-from-file');
  });

  test('each model gets its own Envoy cluster, named safely', () => {
    const text = `${minimal}  GPT/4o: { provider: openai, model: gpt-4o }\n  gpt_4o: { provider: openai, model: gpt-4o }\n`;
    const view = buildRuntimeView(parseConfiguration(text, {}), { environment: {} });
    assert.deepEqual([...view.models.values()].map((route) => route.cluster), ['model_gpt-4o-mini', 'model_gpt_4o', 'model_gpt_4o_2']);
  });
});

describe('fallback chains', () => {
  const base = `
providers:
  a: { kind: openai, base_url: http://127.0.0.1:1/v1 }
  b: { kind: openai, base_url: http://127.0.0.1:2/v1 }
models:
`;
  test('a model is either one target or a chain, never both or neither', () => {
    assert.match(problemsOf(`${base}  m: { provider: a, model: x, fallback: [{ provider: b, model: y }] }\n`).join(), /either provider and model, or fallback/);
    assert.match(problemsOf(`${base}  m: { owned_by: me }\n`).join(), /set provider and model, or a fallback chain/);
    assert.match(problemsOf(`${base}  m: { provider: a }\n`).join(), /^models\.m\.model: required together/);
  });

  test('chain targets must name declared providers, with their position in the path', () => {
    assert.deepEqual(problemsOf(`${base}  m: { fallback: [{ provider: a, model: x }, { balance: [{ provider: zz, model: y }] }] }\n`), [
      'models.m.fallback.1.balance.0.provider: no provider named "zz" is declared under providers',
    ]);
  });

  test('max_attempts may not be below attempts_per_level', () => {
    assert.deepEqual(problemsOf(`${base}  m: { provider: a, model: x }\nresilience: { attempts_per_level: 3, max_attempts: 2 }\n`), [
      'resilience.max_attempts: must be at least attempts_per_level',
    ]);
  });
});
