import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ATTEMPT_COUNT_HEADER, IMMEDIATE_HEALTH_CHECK_FAIL_HEADER, ROUTE_HEADER, TARGETS_PAUSED_HEADER } from '../../src/config/envoy-contract.js';
import { HEADERS_NOT_FORWARDED, isHiddenFromClient, isRemovedFromClientRequest, PROVIDER_OWNED_HEADERS } from '../../src/config/header-policy.js';
import type { ChatCompletionRequest } from '../../src/providers/openai/openai-api.js';
import type { EmbeddingsRequest } from '../../src/api/openai-embeddings/embeddings-request.js';
import { buildAnthropicMessagesRequest } from '../../src/providers/anthropic/build-anthropic-messages-request.js';
import { buildGeminiEmbeddingsRequest } from '../../src/providers/gemini/build-gemini-embeddings-request.js';
import { buildAzureOpenAIEmbeddingsRequest, buildOpenAIEmbeddingsRequest } from '../../src/providers/openai/build-openai-embeddings-request.js';
import type { AttemptTarget, UpstreamRequest } from '../../src/providers/provider-adapter.js';
import { createProviderRegistry } from '../../src/providers/registry.js';

const CREDENTIAL = 'provider-secret-credential';
const target: AttemptTarget = { model: 'upstream-model', pathPrefix: '/v1', credential: CREDENTIAL, apiVersion: '2024-10-21' };

describe('header policy: client requests', () => {
  test("a client's credentials, cookies and the gateway's and Envoy's own headers are removed", () => {
    for (const name of ['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'cookie', 'anthropic-version', 'anthropic-beta', 'openai-organization', 'openai-project', 'accept-encoding']) {
      assert.ok(isRemovedFromClientRequest(name), `${name} would reach a provider`);
    }
    for (const name of [ROUTE_HEADER, 'x-gateway-request-id', 'x-gateway-anything', 'x-envoy-max-retries', 'x-envoy-upstream-rq-timeout-ms']) {
      assert.ok(isRemovedFromClientRequest(name), `${name} would reach a provider or steer Envoy`);
    }
  });

  test('ordinary request headers pass', () => {
    for (const name of ['content-type', 'user-agent', 'accept', 'x-request-id', 'traceparent', 'x-stainless-lang']) {
      assert.equal(isRemovedFromClientRequest(name), false, `${name} should pass`);
    }
  });

  test('the route removes the routing header and the proxy headers naming the client', () => {
    for (const name of [ROUTE_HEADER, 'x-forwarded-for', 'x-forwarded-proto', 'x-envoy-original-host']) assert.ok(HEADERS_NOT_FORWARDED.includes(name), name);
  });
});

describe('header policy: headers the gateway sets per provider', () => {
  const chat = { model: 'alias', messages: [{ role: 'user', content: 'hi' }] } as ChatCompletionRequest;
  const embeddings = { model: 'alias', input: 'hi' } as EmbeddingsRequest;
  const built: [string, UpstreamRequest][] = [
    ...[...createProviderRegistry()].map(([kind, adapter]): [string, UpstreamRequest] => [`${kind} chat`, adapter.buildRequest(chat, target)]),
    ['anthropic messages', buildAnthropicMessagesRequest({ model: 'alias', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] } as never, { version: '2023-06-01', beta: 'tools-2024-04-04' }, target)],
    ['openai embeddings', buildOpenAIEmbeddingsRequest(embeddings, target)],
    ['azure-openai embeddings', buildAzureOpenAIEmbeddingsRequest(embeddings, target)],
    ['gemini embeddings', buildGeminiEmbeddingsRequest(embeddings, target)],
  ];

  // A header carrying the credential that is not provider-owned would survive into a fallback
  // attempt to another provider: upstreamRequestMutation clears only PROVIDER_OWNED_HEADERS.
  for (const [name, upstream] of built) {
    test(`${name}: every credential or version header it sets is provider-owned`, () => {
      const carrying = Object.entries(upstream.headers).filter(([, value]) => value.includes(CREDENTIAL));
      assert.ok(carrying.length > 0, 'the credential is sent');
      for (const header of Object.keys(upstream.headers)) {
        if (header === 'content-type' || header === 'accept') continue;
        assert.ok(PROVIDER_OWNED_HEADERS.includes(header), `${header} is set per provider but not in PROVIDER_OWNED_HEADERS`);
      }
    });
  }
});

describe('header policy: provider answers', () => {
  test("the provider's account, cookies, rate limits and the gateway's internal signals are hidden from clients", () => {
    for (const name of [
      'set-cookie',
      'openai-organization',
      'openai-project',
      'anthropic-organization-id',
      'x-ratelimit-remaining-requests',
      'x-ratelimit-limit-tokens',
      'cf-ray',
      'x-envoy-upstream-service-time',
      ATTEMPT_COUNT_HEADER,
      IMMEDIATE_HEALTH_CHECK_FAIL_HEADER,
      TARGETS_PAUSED_HEADER,
    ]) {
      assert.ok(isHiddenFromClient(name), `${name} would reach a client`);
    }
  });

  test('headers describing the answer itself pass', () => {
    for (const name of ['content-type', 'retry-after', 'x-request-id', 'request-id', 'cache-control', 'cf-cache-status']) {
      assert.equal(isHiddenFromClient(name), false, `${name} should pass`);
    }
  });
});
