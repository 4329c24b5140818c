import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { METADATA_NAMESPACE, REQUEST_ID_METADATA_KEY, ROUTED_PROCESSING_MODE, ROUTE_HEADER } from '../../src/config/envoy-contract.js';
import { fromProtoStruct } from '../../src/extproc/proto-struct.js';
import type { ProcessingRequest, ProcessingResponse } from '../../src/extproc/messages.js';
import { RouterProcessor } from '../../src/extproc/router-processor.js';
import { Governance } from '../../src/governance/governance.js';
import { hashKeySecret } from '../../src/governance/key-secret.js';
import { createKeyring } from '../../src/governance/keyring.js';
import { EMPTY_STATE, fakeGovernanceStore } from '../support/fake-governance-store.js';
import { headers, processorDependencies, type recordingMeter } from '../support/processor-fixtures.js';

/** The processor answers synchronously on every path these tests take (no compressed bodies). */
function step(processor: RouterProcessor, message: ProcessingRequest): ProcessingResponse {
  const reply = processor.handle(message);
  assert.ok(!(reply instanceof Promise), 'expected a synchronous reply');
  return reply;
}

const chatHeaders = headers({ ':method': 'POST', ':path': '/v1/chat/completions', authorization: 'Bearer sk-client', 'x-gateway-route': 'forged', 'content-type': 'application/json' });

function setHeaders(reply: ProcessingResponse, phase: 'request_body' | 'response_headers' | 'response_body'): Record<string, string> {
  const mutation = reply[phase]?.response?.header_mutation;
  return Object.fromEntries((mutation?.set_headers ?? []).map((option) => [option.header.key, option.header.raw_value.toString()]));
}

function requestIdOf(reply: ProcessingResponse): string {
  const metadata = fromProtoStruct(reply.dynamic_metadata) as Record<string, Record<string, string>>;
  return metadata[METADATA_NAMESPACE]![REQUEST_ID_METADATA_KEY]!;
}

function body(json: unknown) {
  return { body: Buffer.from(JSON.stringify(json)), end_of_stream: true };
}

function immediate(reply: ProcessingResponse) {
  const response = reply.immediate_response;
  assert.ok(response, 'expected an immediate response');
  return { status: response.status.code, body: JSON.parse(response.body!.toString()) as { error: Record<string, unknown> }, details: response.details };
}

describe('RouterProcessor', () => {
  test('request headers: strips client credentials and internal headers, asks for the body', () => {
    const processor = new RouterProcessor(processorDependencies());
    const reply = step(processor, { request: 'request_headers', request_headers: chatHeaders });
    assert.deepEqual(reply.request_headers?.response?.header_mutation?.remove_headers, ['authorization', 'x-gateway-route']);
  });

  test('request headers of a chat request turn the response phases on; answers made at the headers leave them off', () => {
    const chat = step(new RouterProcessor(processorDependencies()), { request: 'request_headers', request_headers: chatHeaders });
    assert.deepEqual(chat.mode_override, ROUTED_PROCESSING_MODE);
    for (const message of [headers({ ':method': 'GET', ':path': '/v1/models' }, true), headers({ ':method': 'GET', ':path': '/v1/embeddings' }, true)]) {
      const reply = step(new RouterProcessor(processorDependencies()), { request: 'request_headers', request_headers: message });
      assert.ok(reply.immediate_response);
      assert.equal(reply.mode_override, undefined);
    }
  });

  test('request body, several targets: the routing header, with clear_route_cache; the parsed request as the body and the brief as dynamic metadata', () => {
    const dependencies = processorDependencies();
    const processor = new RouterProcessor(dependencies);
    step(processor, { request: 'request_headers', request_headers: chatHeaders });
    const reply = step(processor, { request: 'request_body', request_body: body({ model: 'chain', messages: [{ role: 'user', content: 'hi' }], stream: true }) });
    assert.equal(reply.request_body?.response?.clear_route_cache, true);
    const forwarded = reply.request_body?.response?.body_mutation?.body;
    assert.ok(forwarded, 'the client request as parsed, for each attempt to translate');
    assert.deepEqual(JSON.parse(forwarded.toString()), { model: 'chain', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const set = setHeaders(reply, 'request_body');
    assert.deepEqual(Object.keys(set), [ROUTE_HEADER, 'content-length'], 'no provider header yet: the request id and brief travel as dynamic metadata');
    assert.equal(set[ROUTE_HEADER], 'model_chain');
    assert.equal(set['content-length'], String(forwarded.length));
    const metadata = fromProtoStruct(reply.dynamic_metadata)[METADATA_NAMESPACE] as Record<string, string>;
    assert.equal(metadata.model, 'chain');
    assert.equal(metadata.endpoint, 'chat.completions');
    assert.equal(metadata.targets, 'chain#0 chain#1');
    const context = dependencies.store.get(requestIdOf(reply));
    assert.ok(context);
    assert.equal(context.stream, true);
    assert.equal(context.includeUsage, false);
    assert.equal(context.route.alias, 'chain');
    assert.equal(context.attempts.length, 0, 'attempts are learnt with the answer (the `tried` metadata)');
  });

  test('request body, one target: the provider request is written at once (path, credential, body, content-length)', () => {
    const dependencies = processorDependencies();
    const processor = new RouterProcessor(dependencies);
    step(processor, { request: 'request_headers', request_headers: chatHeaders });
    const reply = step(processor, { request: 'request_body', request_body: body({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }], stream: true }) });
    const response = reply.request_body!.response!;
    assert.equal(response.clear_route_cache, true);
    const set = setHeaders(reply, 'request_body');
    assert.equal(set[ROUTE_HEADER], 'model_gpt');
    assert.equal(set[':path'], '/v1/chat/completions');
    assert.equal(set.authorization, 'Bearer sk-provider-test');
    assert.equal(set['accept-encoding'], 'identity');
    const sent = response.body_mutation!.body!;
    assert.equal(set['content-length'], String(sent.length), 'Envoy keeps a content-length only if it matches the new body');
    const json = JSON.parse(sent.toString());
    assert.equal(json.model, 'gpt-4o', 'the alias is replaced by the provider model');
    assert.deepEqual(json.stream_options, { include_usage: true }, 'usage is always requested upstream, for metering');
    assert.deepEqual(response.header_mutation!.remove_headers, ['x-api-key', 'api-key', 'x-goog-api-key', 'anthropic-version', 'anthropic-beta']);
    assert.ok(dependencies.store.get(requestIdOf(reply)), 'the attempt processor reads the answers of its tries by this id');
    assert.equal(dependencies.store.size, 1);
  });

  test("one target: Envoy's attempt count becomes the request's attempts, and the header is not passed on", () => {
    const dependencies = processorDependencies();
    const processor = new RouterProcessor(dependencies);
    step(processor, { request: 'request_headers', request_headers: chatHeaders });
    step(processor, { request: 'request_body', request_body: body({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }) });
    const reply = step(processor, { request: 'response_headers', response_headers: headers({ ':status': '200', 'content-type': 'application/json', 'x-envoy-attempt-count': '3' }) });
    assert.deepEqual(reply.response_headers?.response?.header_mutation?.remove_headers, ['x-envoy-attempt-count']);
    const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
    step(processor, { request: 'response_body', response_body: body({ id: 'x', object: 'chat.completion', model: 'gpt-4o', choices: [], usage }) });
    const outcome = dependencies.meter.outcomes[0]!;
    assert.equal(outcome.context.attempts.length, 3);
    assert.ok(outcome.context.attempts.every((attempt) => attempt.target.model === 'gpt-4o'));
  });

  describe('an answer without usage (an embeddings server that reports none)', () => {
    const embeddingsHeaders = headers({ ':method': 'POST', ':path': '/v1/embeddings', 'content-type': 'application/json' });
    const answer = body({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.5] }], model: 'gpt-4o' });

    function exchange(dependencies: ReturnType<typeof processorDependencies>, counted: Promise<number>) {
      const processor = new RouterProcessor({ ...dependencies, tokenCounter: { count: () => counted, close: async () => undefined } });
      step(processor, { request: 'request_headers', request_headers: embeddingsHeaders });
      step(processor, { request: 'request_body', request_body: body({ model: 'gpt', input: 'sixteen chars..!' }) });
      step(processor, { request: 'response_headers', response_headers: headers({ ':status': '200', 'content-type': 'application/json' }) });
      return { processor, reply: processor.handle({ request: 'response_body', response_body: answer }) };
    }

    test('is metered once with the prompt the tokenizer counted, marked as an estimate', async () => {
      const dependencies = processorDependencies();
      const { reply } = exchange(dependencies, Promise.resolve(4));
      assert.ok(reply instanceof Promise, 'the body waits for the count');
      assert.equal(dependencies.meter.outcomes.length, 0);
      const done = await reply;
      assert.equal(done.response_body?.response?.body_mutation, undefined, 'the body passes through');
      assert.equal(setHeaders(done, 'response_body')['x-gateway-token-count'], 'estimate; tokenizer=o200k_base');
      assert.equal(dependencies.meter.outcomes.length, 1);
      const outcome = dependencies.meter.outcomes[0]!;
      assert.equal(outcome.usage?.promptTokens, 4);
      assert.equal(outcome.usageEstimated, true);
      assert.equal(outcome.cutShort, false);
      assert.equal(outcome.costUsd, 4e-6);
    });

    test('a stream that ends while the prompt is counted is metered once, as cut short', async () => {
      const dependencies = processorDependencies();
      let resolve!: (tokens: number) => void;
      const { processor, reply } = exchange(dependencies, new Promise((settle) => (resolve = settle)));
      processor.close('ended');
      assert.equal(dependencies.meter.outcomes.length, 0, 'the count is still owed');
      resolve(4);
      await reply;
      assert.equal(dependencies.meter.outcomes.length, 1);
      assert.equal(dependencies.meter.outcomes[0]!.cutShort, true);
      assert.equal(dependencies.meter.outcomes[0]!.usage?.promptTokens, 4);
    });
  });

  for (const [name, payload, status, code] of [
    ['malformed JSON', '{"model":', 400, 'invalid_json'],
    ['a schema violation', JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'x' }], n: 0 }), 400, 'integer_below_min_value'],
    ['JSON nested 5,000 levels deep', `{"model":"gpt","messages":[{"role":"user","content":"x"}],"x":${'['.repeat(5000)}${']'.repeat(5000)}}`, 400, 'json_nesting_too_deep'],
    ['a missing model', JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }), 400, 'missing_required_parameter'],
    ['an unknown model', JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }), 404, 'model_not_found'],
  ] as const) {
    test(`request body: ${name} is refused with ${status} ${code}, and nothing is stored`, () => {
      const dependencies = processorDependencies();
      const processor = new RouterProcessor(dependencies);
      step(processor, { request: 'request_headers', request_headers: chatHeaders });
      const reply = immediate(step(processor, { request: 'request_body', request_body: { body: Buffer.from(payload), end_of_stream: true } }));
      assert.equal(reply.status, status);
      assert.equal(reply.body.error.code, code);
      assert.equal(reply.details, `gateway_${code}`);
      assert.equal(dependencies.store.size, 0);
      assert.equal(dependencies.meter.refusals.length, 1);
      processor.close('ended');
      assert.equal(dependencies.meter.outcomes.length, 0, 'refusals never reached a provider and are not metered as requests');
    });
  }

  test('unknown endpoints, wrong methods and bodiless chat requests are refused at the headers', () => {
    const cases = [
      [headers({ ':method': 'GET', ':path': '/v1/images/generations' }, true), 404, 'unknown_url'],
      [headers({ ':method': 'GET', ':path': '/v1/embeddings' }, true), 405, 'method_not_allowed'],
      [headers({ ':method': 'GET', ':path': '/v1/chat/completions' }, true), 405, 'method_not_allowed'],
      [headers({ ':method': 'POST', ':path': '/v1/chat/completions' }, true), 400, 'missing_body'],
      [headers({ ':method': 'GET', ':path': '/v1/models/nope' }, true), 404, 'model_not_found'],
    ] as const;
    for (const [message, status, code] of cases) {
      const reply = immediate(step(new RouterProcessor(processorDependencies()), { request: 'request_headers', request_headers: message }));
      assert.equal(reply.status, status, code);
      assert.equal(reply.body.error.code, code);
    }
  });

  test('GET /v1/models is answered by the gateway', () => {
    const reply = step(new RouterProcessor(processorDependencies()), { request: 'request_headers', request_headers: headers({ ':method': 'GET', ':path': '/v1/models' }, true) });
    assert.equal(reply.immediate_response?.status.code, 200);
    assert.deepEqual(JSON.parse(reply.immediate_response!.body!.toString()), {
      object: 'list',
      data: [
        { id: 'gpt', object: 'model', created: 1_760_000_000, owned_by: 'openai' },
        { id: 'chain', object: 'model', created: 1_760_000_000, owned_by: 'openai' },
      ],
    });
  });

  function routed(stream: boolean, includeUsage = false) {
    const dependencies = processorDependencies();
    const processor = new RouterProcessor(dependencies);
    step(processor, { request: 'request_headers', request_headers: chatHeaders });
    // The chain model: the attempt is recorded here, as the attempt processor would.
    const request = { model: 'chain', messages: [{ role: 'user', content: 'hi' }], stream, ...(includeUsage ? { stream_options: { include_usage: true } } : {}) };
    const id = requestIdOf(step(processor, { request: 'request_body', request_body: body(request) }));
    const context = dependencies.store.get(id)!;
    context.attempts.push({ target: context.route.targets[0]!, startedAt: dependencies.now() });
    return { dependencies, processor, context };
  }

  const usageChunk = 'data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-2024","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n';
  const contentChunk = 'data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-2024","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}\n\n';

  test('a 200 event stream is switched to STREAMED, passed through, and metered once at the end', () => {
    const { dependencies, processor } = routed(true);
    const headersReply = step(processor, { request: 'response_headers', response_headers: headers({ ':status': '200', 'content-type': 'text/event-stream', 'content-length': '999', 'openai-organization': 'org-x' }) });
    assert.equal(headersReply.mode_override?.response_body_mode, 'STREAMED');
    assert.deepEqual(headersReply.response_headers?.response?.header_mutation?.remove_headers, ['openai-organization', 'content-length']);
    dependencies.advance(40);
    const first = step(processor, { request: 'response_body', response_body: { body: Buffer.from(contentChunk) } });
    assert.equal(first.response_body?.response?.body_mutation?.body?.toString(), contentChunk);
    const last = step(processor, { request: 'response_body', response_body: { body: Buffer.from(usageChunk + 'data: [DONE]\n\n'), end_of_stream: true } });
    assert.equal(last.response_body?.response?.body_mutation?.body?.toString(), 'data: [DONE]\n\n', 'the usage chunk the client did not ask for is removed');
    assert.equal(dependencies.meter.outcomes.length, 1);
    const outcome = dependencies.meter.outcomes[0]!;
    assert.equal(outcome.usage?.totalTokens, 7);
    assert.equal(outcome.servedModel, 'gpt-4o-2024');
    assert.equal(outcome.firstByteAt! - outcome.context.startedAt, 40);
    assert.equal(outcome.cutShort, false);
    processor.close('ended');
    assert.equal(dependencies.meter.outcomes.length, 1, 'metered exactly once');
    assert.equal(dependencies.store.size, 0, 'state is released when the stream ends');
  });

  test('a stream cut short is metered once, with what was delivered', async () => {
    const { dependencies, processor } = routed(true, true);
    step(processor, { request: 'response_headers', response_headers: headers({ ':status': '200', 'content-type': 'text/event-stream' }) });
    step(processor, { request: 'response_body', response_body: { body: Buffer.from(contentChunk) } });
    processor.close('cancelled');
    processor.close('cancelled');
    // The prompt is counted by the tokenizer's thread: metering follows once it answers.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(dependencies.meter.outcomes.length, 1);
    assert.equal(dependencies.meter.outcomes[0]!.cutShort, true);
    assert.equal(dependencies.meter.outcomes[0]!.status, 200);
  });

  test('an upstream that ends its stream without usage or [DONE] is metered as cut short, once, after the count', async () => {
    const { dependencies, processor } = routed(true, true);
    step(processor, { request: 'response_headers', response_headers: headers({ ':status': '200', 'content-type': 'text/event-stream' }) });
    const roleChunk = contentChunk.replace('{"content":"Hi"}', '{"role":"assistant","content":""}');
    step(processor, { request: 'response_body', response_body: { body: Buffer.from(roleChunk + contentChunk + contentChunk) } });
    const last = processor.handle({ request: 'response_body', response_body: { body: Buffer.from(contentChunk), end_of_stream: true } });
    assert.ok(last instanceof Promise, 'the last reply waits for the count');
    assert.equal(dependencies.meter.outcomes.length, 0);
    const reply = await last;
    assert.equal(reply.response_body?.response?.body_mutation, undefined, 'the bytes still go on unchanged');
    processor.close('ended');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(dependencies.meter.outcomes.length, 1);
    const outcome = dependencies.meter.outcomes[0]!;
    assert.equal(outcome.cutShort, true);
    assert.equal(outcome.usageEstimated, true);
    // A pass-through OpenAI stream: one token per content event, the role event aside.
    assert.equal(outcome.usage?.completionTokens, 3);
    assert.ok(fromProtoStruct(reply.dynamic_metadata), 'the access log gets the metered facts');
  });

  test('every target paused at its provider\'s request: refused at once with 429 and Retry-After, nothing forwarded', () => {
    const dependencies = processorDependencies();
    const route = dependencies.view().models.get('chain')!;
    dependencies.pauses.pause(route.targets[0]!.id, 20_000);
    dependencies.pauses.pause(route.targets[1]!.id, 12_300);
    const processor = new RouterProcessor(dependencies);
    step(processor, { request: 'request_headers', request_headers: chatHeaders });
    const reply = step(processor, { request: 'request_body', request_body: body({ model: 'chain', messages: [{ role: 'user', content: 'hi' }] }) });
    const answer = immediate(reply);
    assert.equal(answer.status, 429);
    assert.equal(answer.body.error.code, 'provider_paused');
    assert.equal(answer.body.error.type, 'rate_limit_error');
    assert.equal(setHeaders({ request_body: { response: { header_mutation: reply.immediate_response!.headers } } }, 'request_body')['retry-after'], '13', 'the soonest pause, rounded up');
    assert.equal(dependencies.store.size, 0);
    // One target free again: forwarded.
    dependencies.advance(12_300);
    const next = new RouterProcessor(dependencies);
    step(next, { request: 'request_headers', request_headers: chatHeaders });
    assert.equal(step(next, { request: 'request_body', request_body: body({ model: 'chain', messages: [{ role: 'user', content: 'hi' }] }) }).immediate_response, undefined);
  });

  test('one level paused: Envoy is handed only the free levels, before its health check of the paused one can have failed', () => {
    const dependencies = processorDependencies();
    const route = dependencies.view().models.get('chain')!;
    dependencies.pauses.pause(route.targets[0]!.id, 20_000);
    const processor = new RouterProcessor(dependencies);
    step(processor, { request: 'request_headers', request_headers: chatHeaders });
    const reply = step(processor, { request: 'request_body', request_body: body({ model: 'chain', messages: [{ role: 'user', content: 'hi' }] }) });
    assert.equal(reply.immediate_response, undefined);
    assert.equal(setHeaders(reply, 'request_body')[ROUTE_HEADER], 'model_chain__levels_1', 'the paused level is not in the cluster Envoy picks from');
    // The pause over: the whole chain again.
    dependencies.advance(20_000);
    const next = new RouterProcessor(dependencies);
    step(next, { request: 'request_headers', request_headers: chatHeaders });
    assert.equal(setHeaders(step(next, { request: 'request_body', request_body: body({ model: 'chain', messages: [{ role: 'user', content: 'hi' }] }) }), 'request_body')[ROUTE_HEADER], 'model_chain');
  });

  test('an answer made final whose pauses have just run out is still a 429, never the internal status', () => {
    const { dependencies, processor } = routed(false);
    const reply = step(processor, { request: 'response_headers', response_headers: headers({ ':status': '409', 'x-gateway-targets-paused': '1' }) });
    const answer = immediate(reply);
    assert.equal(answer.status, 429);
    assert.equal(answer.body.error.code, 'provider_paused');
    assert.equal(dependencies.meter.outcomes.length, 1);
  });

  for (const [what, answerHeaders] of [
    ['the attempt processor made the last answer final', { ':status': '409', 'x-gateway-targets-paused': '1', 'content-type': 'application/json' }],
    ['Envoy found no target left to try', { ':status': '503', 'content-type': 'text/plain' }],
  ] as const) {
    test(`paused during the request (${what}): a 429 with Retry-After, metered once`, () => {
      const { dependencies, processor, context } = routed(false);
      for (const target of context.route.targets) dependencies.pauses.pause(target.id, 20_000);
      const reply = step(processor, { request: 'response_headers', response_headers: headers(answerHeaders) });
      const answer = immediate(reply);
      assert.equal(answer.status, 429);
      assert.equal(answer.body.error.code, 'provider_paused');
      assert.equal(dependencies.meter.outcomes.length, 1);
      assert.equal(dependencies.meter.outcomes[0]!.status, 429);
      processor.close('ended');
      assert.equal(dependencies.meter.outcomes.length, 1);
    });
  }

  test('a buffered JSON answer is metered from its usage and passed through unchanged', () => {
    const { dependencies, processor } = routed(false);
    const headersReply = step(processor, { request: 'response_headers', response_headers: headers({ ':status': '200', 'content-type': 'application/json' }) });
    assert.equal(headersReply.mode_override, undefined);
    const json = { id: 'x', object: 'chat.completion', model: 'gpt-4o-2024', choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, prompt_tokens_details: { cached_tokens: 1 } } };
    const reply = step(processor, { request: 'response_body', response_body: body(json) });
    assert.equal(reply.response_body?.response?.body_mutation, undefined);
    const outcome = dependencies.meter.outcomes[0]!;
    assert.deepEqual(outcome.usage, { promptTokens: 3, completionTokens: 4, totalTokens: 7, cachedTokens: 1, cacheWriteTokens: 0, reasoningTokens: 0 });
  });

  test('a non-OpenAI-shaped upstream error is rewritten to OpenAI form with a matching content-length', () => {
    const { dependencies, processor } = routed(false);
    step(processor, { request: 'response_headers', response_headers: headers({ ':status': '400', 'content-type': 'application/json' }) });
    const reply = step(processor, { request: 'response_body', response_body: body({ object: 'error', message: 'bad things', type: 'BadRequestError', param: null, code: 400 }) });
    const rewritten = reply.response_body!.response!.body_mutation!.body!;
    assert.deepEqual(JSON.parse(rewritten.toString()), { error: { message: 'bad things', type: 'BadRequestError', param: null, code: '400' } });
    assert.equal(setHeaders(reply, 'response_body')['content-length'], String(rewritten.length));
    assert.equal(dependencies.meter.outcomes[0]!.status, 400);
  });

  test('a gzip-compressed stream is decompressed before translation; the client gets plain bytes', async () => {
    const { dependencies, processor } = routed(true);
    const headersReply = step(processor, { request: 'response_headers', response_headers: headers({ ':status': '200', 'content-type': 'text/event-stream', 'content-encoding': 'gzip' }) });
    assert.deepEqual(headersReply.response_headers?.response?.header_mutation?.remove_headers, ['content-encoding']);
    const compressed = gzipSync(Buffer.from(contentChunk + usageChunk + 'data: [DONE]\n\n'));
    const first = await processor.handle({ request: 'response_body', response_body: { body: compressed.subarray(0, 30) } });
    const second = await processor.handle({ request: 'response_body', response_body: { body: compressed.subarray(30), end_of_stream: true } });
    const text = [first, second].map((reply) => reply.response_body?.response?.body_mutation?.body?.toString() ?? '').join('');
    assert.equal(text, contentChunk + 'data: [DONE]\n\n');
    assert.equal(dependencies.meter.outcomes[0]!.usage?.totalTokens, 7);
  });

  test('a gzip-compressed JSON answer is metered and handed on decompressed', () => {
    const { dependencies, processor } = routed(false);
    const headersReply = step(processor, { request: 'response_headers', response_headers: headers({ ':status': '200', 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': '99' }) });
    assert.deepEqual(headersReply.response_headers?.response?.header_mutation?.remove_headers, ['content-encoding', 'content-length']);
    const json = JSON.stringify({ id: 'x', object: 'chat.completion', model: 'm', choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } });
    const reply = step(processor, { request: 'response_body', response_body: { body: gzipSync(json), end_of_stream: true } });
    assert.equal(reply.response_body?.response?.body_mutation?.body?.toString(), json);
    assert.equal(setHeaders(reply, 'response_body')['content-length'], String(Buffer.byteLength(json)));
    assert.equal(dependencies.meter.outcomes[0]!.usage?.totalTokens, 3);
  });
});

describe('RouterProcessor with keys: every ending releases or settles exactly once', () => {
  const secret = 'sk-team-secret-123';

  function keyed(delayAdmissions: boolean) {
    const dependencies = processorDependencies();
    const store = fakeGovernanceStore();
    const answers: Array<() => void> = [];
    if (delayAdmissions) {
      // The store answers only when told, as Redis does after a round trip.
      const admit = store.admit.bind(store);
      store.admit = (request) => new Promise((resolve) => answers.push(() => resolve(admit(request))));
    }
    const keyring = createKeyring({ declared: [{ alias: 'team', hash: hashKeySecret(secret), max_parallel: 1 }], store, requireKeys: true, cacheTtlMs: 1000 });
    const governance = new Governance({
      keyring,
      store,
      pricing: dependencies.pricing,
      onStoreUnavailable: 'deny',
      clock: () => 1_760_000_000_000,
      newId: () => 'reservation-1',
      reservationTtlMs: 3_600_000,
      onStoreError: () => undefined,
    });
    const processor = new RouterProcessor({ ...dependencies, governance });
    const requestHeaders = headers({ ':method': 'POST', ':path': '/v1/chat/completions', authorization: `Bearer ${secret}` });
    return { dependencies, store, answers, processor, requestHeaders };
  }

  const chat = { body: Buffer.from('{"model":"gpt","messages":[{"role":"user","content":"hi"}]}'), end_of_stream: true };

  test('a paused model: a wrong key is still refused 401 first; a good one gets the 429, and its hold is released', async () => {
    const { dependencies, store, processor, requestHeaders } = keyed(false);
    dependencies.pauses.pause(dependencies.view().models.get('gpt')!.targets[0]!.id, 20_000);
    const wrongKey = keyed(false);
    wrongKey.dependencies.pauses.pause(wrongKey.dependencies.view().models.get('gpt')!.targets[0]!.id, 20_000);
    await wrongKey.processor.handle({ request: 'request_headers', request_headers: headers({ ':method': 'POST', ':path': '/v1/chat/completions', authorization: 'Bearer sk-wrong' }) });
    assert.equal(immediate(await wrongKey.processor.handle({ request: 'request_body', request_body: chat })).status, 401);

    await processor.handle({ request: 'request_headers', request_headers: requestHeaders });
    const answer = immediate(await processor.handle({ request: 'request_body', request_body: chat }));
    assert.equal(answer.status, 429);
    assert.equal(answer.body.error.code, 'provider_paused');
    await waitUntil(() => store.settlements.length === 1);
    assert.equal(store.settlements[0]!.model, undefined, 'the hold is released, nothing spent');
    assert.equal(dependencies.store.size, 0);
  });

  test('the stream cut while the store is asked: the admission is released, nothing is forwarded or held', async () => {
    const { dependencies, store, answers, processor, requestHeaders } = keyed(true);
    await processor.handle({ request: 'request_headers', request_headers: requestHeaders });
    const pending = processor.handle({ request: 'request_body', request_body: chat });
    await waitUntil(() => answers.length === 1);
    processor.close('cancelled');
    answers[0]!();
    await pending;
    await waitUntil(() => store.settlements.length === 1);
    assert.equal(store.admissions.length, 1);
    assert.equal(store.settlements[0]!.model, undefined, 'a release, not a spend row');
    assert.equal(store.settlements[0]!.reservationId, store.admissions[0]!.reservationId);
    assert.equal(dependencies.store.size, 0, 'no request state is left behind');
    assert.equal((dependencies.meter as ReturnType<typeof recordingMeter>).outcomes.length, 0, 'nothing reached a provider, so nothing is metered');
  });

  test('the stream cut after forwarding, before any answer: settled once as cut short', async () => {
    const { dependencies, store, processor, requestHeaders } = keyed(false);
    await processor.handle({ request: 'request_headers', request_headers: requestHeaders });
    await processor.handle({ request: 'request_body', request_body: chat });
    processor.close('cancelled');
    processor.close('cancelled');
    await waitUntil(() => store.settlements.length === 1);
    assert.equal(store.settlements[0]!.model, 'gpt');
    const outcomes = (dependencies.meter as ReturnType<typeof recordingMeter>).outcomes;
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0]!.cutShort, true);
    assert.equal(dependencies.store.size, 0);
  });

  test("a refusal of a known key is logged under the request's id with the key's alias", async () => {
    const { dependencies, store, processor: second } = keyed(false);
    // The store says the key's one parallel slot is held.
    store.next = { admitted: false, reason: 'max_parallel', retryAfterSeconds: undefined, state: { ...EMPTY_STATE, parallel: { limit: 1, active: 1 } } };
    await second.handle({ request: 'request_headers', request_headers: headers({ ':method': 'POST', ':path': '/v1/chat/completions', authorization: `Bearer ${secret}`, 'x-request-id': 'rid-second' }) });
    const reply = await second.handle({ request: 'request_body', request_body: chat });
    assert.equal(reply.immediate_response?.status.code, 429);
    const meter = dependencies.meter as ReturnType<typeof recordingMeter>;
    assert.deepEqual(meter.refusedRequests.at(-1), { requestId: 'rid-second', method: 'POST', path: '/v1/chat/completions', model: 'gpt', keyAlias: 'team' });
    const facts = fromProtoStruct(reply.dynamic_metadata) as Record<string, Record<string, unknown>>;
    assert.equal(facts[METADATA_NAMESPACE]!.key_alias, 'team', "Envoy's access log names the key too");
    assert.equal(secret.length > 0 && !JSON.stringify(meter.refusedRequests).includes(secret), true, 'never the secret');
  });

  test('a refusal after admission (no room for the request state) releases the hold', async () => {
    const { dependencies, store, processor, requestHeaders } = keyed(false);
    for (let index = 0; index < 100; index += 1) dependencies.store.put(`filler-${index}`, {} as never);
    await processor.handle({ request: 'request_headers', request_headers: requestHeaders });
    const reply = await processor.handle({ request: 'request_body', request_body: chat });
    assert.equal(reply.immediate_response?.status.code, 503);
    await waitUntil(() => store.settlements.length === 1);
    assert.equal(store.settlements[0]!.model, undefined);
    assert.equal((dependencies.meter as ReturnType<typeof recordingMeter>).refusedRequests.at(-1)?.keyAlias, 'team', 'the admitted key is named');
  });
});

describe("RouterProcessor: Envoy's x-request-id is the request's one id", () => {
  const ENVOY_ID = '7f1c2a9e-3b4d-4e5f-8a6b-0c1d2e3f4a5b';
  const withId = (extra: Record<string, string>, endOfStream = false) => headers({ 'x-request-id': ENVOY_ID, ...extra }, endOfStream);
  const immediateHeaders = (reply: ProcessingResponse) =>
    Object.fromEntries((reply.immediate_response?.headers?.set_headers ?? []).map((option) => [option.header.key, option.header.raw_value.toString()]));

  test('a routed request is stored, metered and answered under that id; a provider\'s own x-request-id is passed on apart', () => {
    const dependencies = processorDependencies();
    const processor = new RouterProcessor(dependencies);
    const first = step(processor, { request: 'request_headers', request_headers: withId({ ':method': 'POST', ':path': '/v1/chat/completions' }) });
    assert.equal(setHeaders(first, 'request_body')['x-request-id'], undefined);
    assert.deepEqual(first.request_headers?.response?.header_mutation?.set_headers?.map((option) => option.header.key) ?? [], ['traceparent'], "Envoy's id is not rewritten");
    step(processor, { request: 'request_body', request_body: body({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }) });
    assert.ok(dependencies.store.get(ENVOY_ID));
    const reply = step(processor, { request: 'response_headers', response_headers: headers({ ':status': '200', 'content-type': 'application/json', 'x-request-id': 'req_provider_42' }) });
    const set = setHeaders(reply, 'response_headers');
    assert.equal(set['x-request-id'], ENVOY_ID);
    assert.equal(set['x-gateway-request-id'], ENVOY_ID);
    assert.equal(set['x-upstream-request-id'], 'req_provider_42');
    step(processor, { request: 'response_body', response_body: body({ id: 'x', object: 'chat.completion', model: 'gpt-4o', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }) });
    assert.equal(dependencies.meter.outcomes[0]!.context.id, ENVOY_ID);
  });

  test('refusals and GET /v1/models answers carry the id, and the refusal is logged under it', () => {
    const dependencies = processorDependencies();
    const models = step(new RouterProcessor(dependencies), { request: 'request_headers', request_headers: withId({ ':method': 'GET', ':path': '/v1/models' }, true) });
    assert.equal(models.immediate_response?.status.code, 200);
    assert.equal(immediateHeaders(models)['x-request-id'], ENVOY_ID);
    assert.equal(immediateHeaders(models)['x-gateway-request-id'], ENVOY_ID);
    const processor = new RouterProcessor(dependencies);
    step(processor, { request: 'request_headers', request_headers: withId({ ':method': 'POST', ':path': '/v1/chat/completions' }) });
    const refused = step(processor, { request: 'request_body', request_body: body({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] }) });
    assert.equal(refused.immediate_response?.status.code, 404);
    assert.equal(immediateHeaders(refused)['x-request-id'], ENVOY_ID);
    assert.equal(immediateHeaders(refused)['x-gateway-request-id'], ENVOY_ID);
    assert.deepEqual(dependencies.meter.refusedRequests.at(-1), { requestId: ENVOY_ID, method: 'POST', path: '/v1/chat/completions', model: 'nope', keyAlias: undefined });
  });

  test('without a usable x-request-id the sidecar names the request and has Envoy use that name', () => {
    for (const received of [undefined, 'a,b', 'x'.repeat(201), 'has space']) {
      const dependencies = processorDependencies();
      const processor = new RouterProcessor(dependencies);
      const reply = step(processor, { request: 'request_headers', request_headers: headers({ ':method': 'POST', ':path': '/v1/chat/completions', ...(received === undefined ? {} : { 'x-request-id': received }) }) });
      const set = Object.fromEntries((reply.request_headers?.response?.header_mutation?.set_headers ?? []).map((option) => [option.header.key, option.header.raw_value.toString()]));
      assert.match(set['x-request-id'] ?? '', /^00000000-0000-4000-8000-/, String(received));
      step(processor, { request: 'request_body', request_body: body({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }) });
      assert.ok(dependencies.store.get(set['x-request-id']!));
    }
  });

  test('a trusted client id already in flight is refused with 409, and the first request keeps it', () => {
    const dependencies = processorDependencies();
    const first = new RouterProcessor(dependencies);
    step(first, { request: 'request_headers', request_headers: withId({ ':method': 'POST', ':path': '/v1/chat/completions' }) });
    step(first, { request: 'request_body', request_body: body({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }) });
    const second = new RouterProcessor(dependencies);
    step(second, { request: 'request_headers', request_headers: withId({ ':method': 'POST', ':path': '/v1/chat/completions' }) });
    const reply = step(second, { request: 'request_body', request_body: body({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }) });
    assert.equal(immediate(reply).status, 409);
    assert.equal(immediate(reply).body.error.code, 'request_id_in_use');
    second.close('cancelled');
    assert.ok(dependencies.store.get(ENVOY_ID), "the refused request does not remove the first one's state");
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1000 && !condition(); turn += 1) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(condition(), 'the condition never held');
}
