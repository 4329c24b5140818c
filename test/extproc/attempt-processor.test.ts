import assert from 'node:assert/strict';
import { chatCompletionsEndpoint } from '../../src/endpoints/chat-completions-endpoint.js';
import { describe, test } from 'node:test';
import { AttemptProcessor, PAUSED_STATUS } from '../../src/extproc/attempt-processor.js';
import {
  BRIEF_METADATA_KEYS,
  CONTENT_LENGTH_METADATA_KEY,
  metadataAttribute,
  IMMEDIATE_HEALTH_CHECK_FAIL_HEADER,
  METADATA_NAMESPACE,
  REQUEST_ID_ATTRIBUTE,
  ROUTE_HEADER,
  TARGET_ATTRIBUTE,
  TARGETS_PAUSED_HEADER,
} from '../../src/config/envoy-contract.js';
import type { HeaderMutation, ProcessingResponse } from '../../src/extproc/messages.js';
import { GATEWAY_REQUEST_ID_HEADER } from '../../src/extproc/request-id.js';
import { fromProtoStruct, toProtoStruct } from '../../src/extproc/proto-struct.js';
import type { RequestContext } from '../../src/gateway/request-context.js';
import { writeAttemptBrief } from '../../src/gateway/attempt-brief.js';
import { forwardedEndpointsByName } from '../../src/endpoints/create-endpoint-registry.js';
import { headers, processorDependencies, testView } from '../support/processor-fixtures.js';
import { parseConfiguration } from '../../src/config/load.js';
import { buildRuntimeView } from '../../src/config/runtime.js';
import { GatewayError } from '../../src/errors.js';

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
  const processor = attemptProcessor(dependencies);
  return { processor, context, dependencies, route, targetId: route.targets[0]!.id };
}

type Dependencies = ReturnType<typeof processorDependencies>;

/** A fresh processor, as another sidecar process would have: nothing shared but the pauses. */
function attemptProcessor(dependencies: Dependencies) {
  return new AttemptProcessor({ view: dependencies.view, endpoints: forwardedEndpointsByName(), registry: dependencies.registry, clock: dependencies.clock, pauses: dependencies.pauses, backOff: dependencies.backOff });
}

function mutationOf(mutation: HeaderMutation | undefined) {
  return {
    set: Object.fromEntries((mutation?.set_headers ?? []).map((option) => [option.header.key, option.header.raw_value.toString()])),
    remove: mutation?.remove_headers ?? [],
  };
}

const answerMutation = (reply: ProcessingResponse) => mutationOf(reply.response_headers?.response?.header_mutation);

/** What Envoy sends with an attempt: the target's endpoint metadata and the router's brief, as CEL attributes. */
const attributes = (targetId: string, context?: RequestContext, tried?: string) => {
  const fields: Record<string, string> = { [TARGET_ATTRIBUTE]: targetId };
  if (context !== undefined) {
    fields[REQUEST_ID_ATTRIBUTE] = context.id;
    for (const [key, value] of Object.entries(writeAttemptBrief(context))) fields[metadataAttribute(key)] = value;
  }
  if (tried !== undefined) fields[metadataAttribute(BRIEF_METADATA_KEYS.tried)] = tried;
  return { 'envoy.filters.http.ext_proc': toProtoStruct(fields) };
};

const bodyOf = (context: RequestContext) => ({ request: 'request_body' as const, request_body: { body: Buffer.from(JSON.stringify(context.request)), end_of_stream: true } });

describe('AttemptProcessor', () => {
  test('a target the router found unable to serve the request is never written: the attempt fails instead', () => {
    const { processor, context, targetId } = setup();
    const target = context.route.targets[0]!;
    (context as { skipped?: Map<string, unknown> }).skipped = new Map([[targetId, { target, reason: new GatewayError({ status: 400, code: 'unsupported_capability', message: 'no tools' }) }]]);
    assert.throws(
      () => processor.handle({ request: 'request_headers', request_headers: headers({ ':path': '/v1/chat/completions' }), attributes: attributes(targetId, context) }),
      /cannot serve this request \(unsupported_capability\); not sent/,
    );
  });

  test('from the brief and the body alone, replaces the request with the provider body, path and credential, and adds the attempt to `tried`', () => {
    const { processor, context, targetId, dependencies } = setup();
    const headersReply = processor.handle({
      request: 'request_headers',
      request_headers: headers({ ':path': '/v1/chat/completions', [ROUTE_HEADER]: 'model_gpt' }),
      attributes: attributes(targetId, context, JSON.stringify([['chain#1', 5]])),
    });
    assert.deepEqual(headersReply, { request_headers: { response: {} } }, 'the headers wait for the body');
    const reply = processor.handle(bodyOf(context));
    const response = reply.request_body!.response!;
    const set = Object.fromEntries(response.header_mutation!.set_headers!.map((option) => [option.header.key, option.header.raw_value.toString()]));
    assert.equal(set[':path'], '/v1/chat/completions');
    assert.equal(set.authorization, 'Bearer sk-provider-test');
    assert.equal(set['accept-encoding'], 'identity');
    assert.equal(set['content-length'], String(response.body_mutation!.body!.length));
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
    assert.deepEqual(fromProtoStruct(reply.dynamic_metadata), {
      [METADATA_NAMESPACE]: {
        [CONTENT_LENGTH_METADATA_KEY]: String(response.body_mutation!.body!.length),
        [BRIEF_METADATA_KEYS.tried]: JSON.stringify([['chain#1', 5], [targetId, dependencies.clock()]]),
      },
    });
  });

  test('fails (so Envoy fails closed) without the router\'s brief, for an unknown target, or a provider without its key', () => {
    const { processor, context, targetId } = setup();
    assert.throws(() => processor.handle({ request: 'request_headers', request_headers: headers({ [GATEWAY_REQUEST_ID_HEADER]: 'req-1' }), attributes: attributes(targetId) }), /brief/);
    assert.throws(() => processor.handle({ request: 'request_headers', request_headers: headers({}) }), /brief/, 'a header alone never identifies a request');
    assert.throws(() => processor.handle({ request: 'request_headers', request_headers: headers({}), attributes: attributes('other#0', context) }), /names no target/);
    const keyless = setup({});
    keyless.processor.handle({ request: 'request_headers', request_headers: headers({}), attributes: attributes(keyless.targetId, keyless.context) });
    assert.throws(() => keyless.processor.handle(bodyOf(keyless.context)), /unavailable/);
  });

  test("an answer asking for a pause: the target is paused, Envoy's wait cut to 1 s, the host marked failing, and the retry goes elsewhere", () => {
    const { processor, dependencies, route, context, targetId } = setup();
    processor.handle({ request: 'request_headers', request_headers: headers({}), attributes: attributes(targetId, context) });
    processor.handle(bodyOf(context));
    const reply = processor.handle({ request: 'response_headers', response_headers: headers({ ':status': '429', 'retry-after': '20', 'retry-after-ms': '20000' }) });
    assert.equal(dependencies.pauses.remaining(targetId), 20_000);
    const { set, remove } = answerMutation(reply);
    assert.deepEqual(set, { [IMMEDIATE_HEALTH_CHECK_FAIL_HEADER]: 'true', 'retry-after': '1' }, 'the other target is free: the 429 stays retriable, after the least wait Envoy reads (for the failed health check to reach its workers)');
    assert.deepEqual(remove, ['retry-after-ms']);
    // The next attempt to the paused target is never written.
    const retry = attemptProcessor(dependencies);
    assert.throws(() => retry.handle({ request: 'request_headers', request_headers: headers({}), attributes: attributes(targetId, context) }), /paused/);
    dependencies.advance(20_000);
    assert.deepEqual(retry.handle({ request: 'request_headers', request_headers: headers({}), attributes: attributes(targetId, context) }), { request_headers: { response: {} } }, 'usable again once the pause has passed');
    assert.equal(route.targets.length, 2);
  });

  test('every target paused: the answer is made final (a status Envoy does not retry, marked for the router)', () => {
    const { dependencies, route, context } = setup();
    dependencies.pauses.pause(route.targets[1]!.id, 5_000);
    // A model with one target sends no request headers: the answer names the attempt through its attributes.
    const processor = attemptProcessor(dependencies);
    const reply = processor.handle({ request: 'response_headers', response_headers: headers({ ':status': '529' }), attributes: attributes(route.targets[0]!.id, context) });
    assert.equal(dependencies.pauses.remaining(route.targets[0]!.id), dependencies.backOff.overloadedPauseMs, "Anthropic's 529: overloaded_pause");
    assert.deepEqual(answerMutation(reply).set, { [IMMEDIATE_HEALTH_CHECK_FAIL_HEADER]: 'true', ':status': PAUSED_STATUS, [TARGETS_PAUSED_HEADER]: '1' });
  });

  test('answers that ask for nothing are passed on untouched; successes are never read', () => {
    const { processor, dependencies, context, targetId } = setup();
    processor.handle({ request: 'request_headers', request_headers: headers({}), attributes: attributes(targetId, context) });
    assert.deepEqual(processor.handle({ request: 'response_headers', response_headers: headers({ ':status': '200', 'retry-after': '20' }) }), { response_headers: { response: {} } });
    assert.deepEqual(processor.handle({ request: 'response_headers', response_headers: headers({ ':status': '503' }) }), { response_headers: { response: {} } });
    assert.equal(dependencies.pauses.remaining(targetId), 0);
  });

  test("Gemini's failures are read whole (its RetryInfo is in the body); the pause is applied with the body reply", () => {
    const dependencies = processorDependencies(
      buildRuntimeView(parseConfiguration('providers:\n  g: { kind: gemini, base_url: https://generativelanguage.googleapis.com/v1beta, credential: { env: KEY } }\nmodels:\n  chain: { fallback: [{ provider: g, model: gemini-2.5-flash }, { provider: g, model: gemini-2.5-pro }] }\n', {}), { environment: { KEY: 'AIza-test' } }),
    );
    const route = dependencies.view().models.get('chain')!;
    const context: RequestContext = { id: 'req-1', traceId: '0af7651916cd43dd8448eb211c80319c', startedAt: 0, route, endpoint: chatCompletionsEndpoint, request: { model: 'chain', messages: [{ role: 'user', content: 'hi' }] }, stream: false, includeUsage: false, attempts: [], prepared: new Map() };
    const processor = attemptProcessor(dependencies);
    const targetId = route.targets[0]!.id;
    processor.handle({ request: 'request_headers', request_headers: headers({}), attributes: attributes(targetId, context) });
    const headersReply = processor.handle({ request: 'response_headers', response_headers: headers({ ':status': '429', 'content-type': 'application/json' }) });
    assert.equal(headersReply.mode_override?.response_body_mode, 'BUFFERED');
    assert.equal(dependencies.pauses.remaining(targetId), 0, 'not before the body is read');
    const body = Buffer.from(JSON.stringify({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '34.4s' }] } }));
    const bodyReply = processor.handle({ request: 'response_body', response_body: { body, end_of_stream: true } });
    assert.equal(dependencies.pauses.remaining(targetId), 34_400);
    assert.deepEqual(mutationOf(bodyReply.response_body?.response?.header_mutation).set, { [IMMEDIATE_HEALTH_CHECK_FAIL_HEADER]: 'true', 'retry-after': '1' });
    assert.equal(bodyReply.response_body?.response?.body_mutation, undefined, 'the body goes on as the provider sent it');
  });
});
