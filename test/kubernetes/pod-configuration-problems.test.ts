import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfiguration } from '../../src/config/load.js';
import { isPinnedImage } from '../../src/kubernetes/build-kubernetes-manifests.js';
import { podConfigurationProblems } from '../../src/kubernetes/pod-configuration-problems.js';

const fits = {
  listener: '{ address: 0.0.0.0 }',
  sidecar: '{ address: 127.0.0.1, bind_address: 127.0.0.1, admin_bind_address: 0.0.0.0 }',
  envoy: '{ admin_address: 127.0.0.1 }',
  governance: '{ store: redis }',
  providers: '{ openai: { kind: openai, base_url: "https://api.openai.com/v1", credential: { env: OPENAI_API_KEY } } }',
};

function problemsWith(sections: Partial<typeof fits>, extra = ''): string[] {
  const text = `${Object.entries({ ...fits, ...sections })
    .map(([key, value]) => `${key}: ${value}`)
    .join('\n')}\nmodels: { m: { provider: openai, model: m } }\n${extra}`;
  return podConfigurationProblems(parseConfiguration(text, {}), text);
}

describe('podConfigurationProblems', () => {
  test('accepts the pod shape, and config/gateway.kubernetes.yaml has it (the render test renders it)', () => {
    assert.deepEqual(problemsWith({}), []);
    assert.deepEqual(problemsWith({ listener: '{ address: "::" }', sidecar: '{ address: 127.0.0.1, bind_address: "::1", admin_bind_address: "::" }' }), []);
  });

  test('a server the kubelet, the Service or Prometheus must reach, bound to loopback or one address', () => {
    for (const address of ['127.0.0.1', '10.0.0.7', 'localhost']) {
      assert.match(problemsWith({ listener: `{ address: ${address} }` }).join('\n'), /^listener\.address: .* use 0\.0\.0\.0/);
      assert.match(problemsWith({ sidecar: `{ address: 127.0.0.1, bind_address: 127.0.0.1, admin_bind_address: ${address} }` }).join('\n'), /^sidecar\.admin_bind_address: /);
    }
    // The old default: everything on loopback, as on a laptop.
    assert.match(problemsWith({ sidecar: '{ address: 127.0.0.1, bind_address: 127.0.0.1 }' }).join('\n'), /^sidecar\.admin_bind_address: 127\.0\.0\.1 is not reachable/);
  });

  test('a server that must stay inside the pod, exposed', () => {
    assert.match(problemsWith({ sidecar: '{ address: 127.0.0.1, bind_address: 0.0.0.0 }' }).join('\n'), /^sidecar\.bind_address: 0\.0\.0\.0 exposes the ext_proc gRPC server/);
    assert.match(problemsWith({ envoy: '{ admin_address: 0.0.0.0 }' }).join('\n'), /^envoy\.admin_address: 0\.0\.0\.0 exposes Envoy's admin interface/);
    assert.match(problemsWith({ sidecar: '{ address: sidecar, bind_address: 127.0.0.1, admin_bind_address: 0.0.0.0 }' }).join('\n'), /^sidecar\.address: sidecar is not this pod's sidecar/);
  });

  test('per-pod state, placeholders, and secrets from files', () => {
    assert.match(problemsWith({ governance: '{ store: memory }' }).join('\n'), /^governance\.store: "memory" keeps limits/);
    assert.match(problemsWith({ listener: '{ address: "${LISTEN:-0.0.0.0}" }' }).join('\n'), /^\(file\): write values, not \$\{\.\.\.\} placeholders/);
    assert.match(
      problemsWith({ providers: '{ openai: { kind: openai, base_url: "https://api.openai.com/v1", credential: { file: /run/secrets/openai } } }' }).join('\n'),
      /^providers\.openai\.credential: \{ file \} is not rendered/,
    );
    assert.match(problemsWith({ governance: '{ store: redis, admin_key: { file: /run/admin } }' }).join('\n'), /^governance\.admin_key: \{ file \}/);
  });
});

describe('isPinnedImage', () => {
  test('a tag other than latest, or a digest', () => {
    for (const image of ['envoyproxy/envoy:v1.40.0', 'llm-gateway-sidecar:0.1.0', 'registry.example.com:5000/team/sidecar:2026.11', `sidecar@sha256:${'a'.repeat(64)}`]) assert.ok(isPinnedImage(image), image);
    for (const image of ['envoyproxy/envoy', 'envoyproxy/envoy:latest', 'registry.example.com:5000/team/sidecar', 'sidecar@sha256:abc', 'side car:1']) assert.ok(!isPinnedImage(image), image);
  });
});
