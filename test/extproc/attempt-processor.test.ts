import assert from 'node:assert/strict';
import { chatCompletionsEndpoint } from '../../src/endpoints/chat-completions-endpoint.js';
import { describe, test } from 'node:test';
import { CONTENT_LENGTH_METADATA_KEY, METADATA_NAMESPACE, REQUEST_ID_ATTRIBUTE, ROUTE_HEADER, TARGET_ATTRIBUTE } from '../../src/config/render-envoy.js';
import { AttemptProcessor } from '../../src/extproc/attempt-processor.js';
import { REQUEST_ID_HEADER } from '../../src/extproc/headers.js';
import { fromProtoStruct, toProtoStruct } from '../../src/extproc/proto-struct.js';
import type { RequestContext } from '../../src/gateway/request-context.js';
import { headers, processorDependencies, testView } from '../support/processor-fixtures.js';

function setup(environment?: Record<string, string>) {
  const dependencies = processorDependencies(environment ? testView(environment) : undefined);
  const route = dependencies.view().models.get('chain')!;
  const context: RequestContext = {
    id: 'req-1',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    startedAt: 0,
    route,
    endpoint: chatCompletionsEndpoint,
    request: { model: 'gpt', messages: [{ role: 'user', content: 'hi' }], stream: true },
    stream: true,
    includeUsage: false,
    attempts: [],
    prepared: new Map(),
  };
  dependencies.store.put(context.id, context);
  const processor = new AttemptProcessor({ store: dependencies.store, registry: dependencies.registry, now: dependencies.now });
  return { processor, context, targetId: route.targets[0]!.id };
}

const attributes = (targetId: string, requestId = 'req-1') => ({
  'envoy.filters.http.ext_proc': toProtoStruct({ [TARGET_ATTRIBUTE]: targetId, [REQUEST_ID_ATTRIBUTE]: requestId }),
});

describe('AttemptProcessor', () => {
  test('replaces the request with the provider body, path and credential, and records the attempt', () => {
    const { processor, context, targetId } = setup();
    const reply = processor.handle({
      request: 'request_headers',
      request_headers: headers({ ':path': '/v1/chat/completions', [ROUTE_HEADER]: 'model_gpt' }),
      attributes: attributes(targetId),
    });
    const response = reply.request_headers!.response!;
    assert.equal(response.status, 'CONTINUE_AND_REPLACE');
    const set = Object.fromEntries(response.header_mutation!.set_headers!.map((option) => [option.header.key, option.header.raw_value.toString()]));
    assert.equal(set[':path'], '/v1/chat/completions');
    assert.equal(set.authorization, 'Bearer sk-provider-test');
    assert.equal(set['accept-encoding'], 'identity');
    // The route removes the routing and proxy headers (HEADERS_NOT_FORWARDED); the attempt clears provider-owned ones.
    assert.deepEqual(response.header_mutation!.remove_headers, [
      // A previous attempt at another provider may have left its key; this attempt sets authorization itself.
      'x-api-key',
      'api-key',
      'x-goog-api-key',
      'anthropic-version',
      'anthropic-beta',
    ]);
    const sent = JSON.parse(response.body_mutation!.body!.toString());
    assert.deepEqual(sent, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    assert.deepEqual(fromProtoStruct(reply.dynamic_metadata), { [METADATA_NAMESPACE]: { [CONTENT_LENGTH_METADATA_KEY]: String(response.body_mutation!.body!.length) } });
    assert.equal(context.attempts.length, 1);
    assert.equal(context.attempts[0]!.target.id, targetId);
  });

  test('fails (so Envoy fails closed) for an unknown request, an unknown target, or a provider without its key', () => {
    const { processor, targetId } = setup();
    assert.throws(() => processor.handle({ request: 'request_headers', request_headers: headers({ [REQUEST_ID_HEADER]: 'req-1' }), attributes: attributes(targetId, 'forged') }), /unknown or expired/);
    assert.throws(() => processor.handle({ request: 'request_headers', request_headers: headers({}) }), /unknown or expired/, 'a header alone never identifies a request');
    assert.throws(() => processor.handle({ request: 'request_headers', request_headers: headers({}), attributes: attributes('other#0') }), /names no target/);
    const keyless = setup({});
    assert.throws(
      () => keyless.processor.handle({ request: 'request_headers', request_headers: headers({}), attributes: attributes(keyless.targetId) }),
      /unavailable/,
    );
  });
});
