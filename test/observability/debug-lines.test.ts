import assert from 'node:assert/strict';
import { chatCompletionsEndpoint } from '../../src/endpoints/chat-completions-endpoint.js';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { credentials, makeGenericClientConstructor, Metadata, type ClientDuplexStream } from '@grpc/grpc-js';
import { metadataAttribute, PHASE_METADATA_KEY, REQUEST_ID_ATTRIBUTE, ROUTE_HEADER, TARGET_ATTRIBUTE } from '../../src/config/envoy-contract.js';
import { forwardedEndpointsByName } from '../../src/endpoints/create-endpoint-registry.js';
import { writeAttemptBrief } from '../../src/gateway/attempt-brief.js';
import { AttemptProcessor } from '../../src/extproc/attempt-processor.js';
import { headerMutation } from '../../src/extproc/headers.js';
import type { ProcessingRequest, ProcessingResponse } from '../../src/extproc/messages.js';
import { loadExternalProcessorService } from '../../src/extproc/proto.js';
import { toProtoStruct } from '../../src/extproc/proto-struct.js';
import { continueRequestBody, continueResponseHeaders } from '../../src/extproc/responses.js';
import { ExtProcServer } from '../../src/extproc/server.js';
import type { RequestContext } from '../../src/gateway/request-context.js';
import { logGovernanceStoreCalls } from '../../src/observability/log-governance-store-calls.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { fakeGovernanceStore } from '../support/fake-governance-store.js';
import { headers, processorDependencies } from '../support/processor-fixtures.js';

/**
 * LOG_LEVEL=debug adds the lines an operator debugging a request needs (each ext_proc message
 * and its reply, each attempt, each store call), and at info there are none. No line carries
 * a provider key or prompt text.
 */
function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, text: () => text, logger: createLogger({ level, destination }) };
}

const PROMPT = 'a prompt that must never be logged';
const PROVIDER_KEY = 'sk-provider-test';
const REQUEST_BODY = `{"model":"gpt","messages":[{"role":"user","content":"${PROMPT}"}]}`;

describe('ext_proc server', () => {
  async function exchange(level: string) {
    const { lines, text, logger } = capture(level);
    // A processor that routes the request and sets a credential, as the real ones do.
    const server = new ExtProcServer({
      logger,
      metrics: createMetrics({ collectProcessMetrics: false }),
      maxMessageBytes: 1024 * 1024,
      createProcessor: () => ({
        handle: (message: ProcessingRequest): ProcessingResponse =>
          message.request === 'request_body'
            ? continueRequestBody(headerMutation({ [ROUTE_HEADER]: 'model_gpt', authorization: `Bearer ${PROVIDER_KEY}` }, ['x-api-key']), true, Buffer.from(`{"prompt":"${PROMPT}"}`))
            : continueResponseHeaders(undefined, { response_body_mode: 'STREAMED' }),
        close: () => undefined,
      }),
    });
    const port = await server.listen('127.0.0.1:0');
    const Client = makeGenericClientConstructor(loadExternalProcessorService(), 'ExternalProcessor');
    const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as { Process(metadata: Metadata): ClientDuplexStream<ProcessingRequest, ProcessingResponse>; close(): void };
    const metadata = new Metadata();
    metadata.set(PHASE_METADATA_KEY, 'router');
    const call = client.Process(metadata);
    const replies: ProcessingResponse[] = [];
    const ended = new Promise<void>((resolve) => call.on('end', resolve));
    call.on('data', (reply: ProcessingResponse) => replies.push(reply));
    call.write({ request_body: { body: Buffer.from(REQUEST_BODY), end_of_stream: true } });
    call.write({ response_headers: headers({ ':status': '200' }) });
    call.end();
    await ended;
    client.close();
    await server.shutdown(0);
    assert.equal(replies.length, 2);
    return { lines, text: text() };
  }

  test('at debug: the stream opening, each message with the route, headers and body size, and the stream end', async () => {
    const { lines, text } = await exchange('debug');
    const debug = lines.filter((line) => line.level === 'debug');
    assert.deepEqual(
      debug.map((line) => line.msg),
      ['ext_proc stream opened', 'ext_proc message answered', 'ext_proc message answered', 'ext_proc stream ended'],
    );
    const [opened, body, responseHeaders, ended] = debug;
    assert.equal(opened!.phase, 'router');
    assert.equal(body!.stream, opened!.stream);
    assert.equal(body!.message, 'request_body');
    assert.equal(body!.body_bytes, REQUEST_BODY.length);
    assert.deepEqual(body!.set_headers, { [ROUTE_HEADER]: 'model_gpt', authorization: '(set)' });
    assert.deepEqual(body!.removed_headers, ['x-api-key']);
    assert.equal(body!.replaced_body_bytes, `{"prompt":"${PROMPT}"}`.length);
    assert.equal(body!.clear_route_cache, true);
    assert.equal(responseHeaders!.message, 'response_headers');
    assert.equal(responseHeaders!.response_body_mode, 'STREAMED');
    assert.equal(ended!.reason, 'ended');
    assert.ok(!text.includes(PROVIDER_KEY), 'the provider key was logged');
    assert.ok(!text.includes(PROMPT), 'the prompt was logged');
  });

  test('at info: none of them', async () => {
    const { lines } = await exchange('info');
    assert.deepEqual(lines, []);
  });
});

describe('attempt processor', () => {
  function attempt(level: string) {
    const { lines, text, logger } = capture(level);
    const dependencies = processorDependencies();
    const route = dependencies.view().models.get('chain')!;
    const context: RequestContext = {
      id: 'req-1',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      startedAt: 0,
      route,
      endpoint: chatCompletionsEndpoint,
      request: { model: 'chain', messages: [{ role: 'user', content: PROMPT }] },
      stream: false,
      includeUsage: false,
      attempts: [],
      prepared: new Map(),
    };
    const processor = new AttemptProcessor({ view: dependencies.view, endpoints: forwardedEndpointsByName(), registry: dependencies.registry, clock: dependencies.clock, pauses: dependencies.pauses, backOff: dependencies.backOff, logger });
    const target = route.targets[1]!;
    const brief = Object.fromEntries(Object.entries(writeAttemptBrief(context)).map(([key, value]) => [metadataAttribute(key), value]));
    processor.handle({
      request: 'request_headers',
      request_headers: headers({ ':path': '/v1/chat/completions' }),
      attributes: { 'envoy.filters.http.ext_proc': toProtoStruct({ [TARGET_ATTRIBUTE]: target.id, [REQUEST_ID_ATTRIBUTE]: 'req-1', ...brief }) },
    });
    processor.handle({ request: 'request_body', request_body: { body: Buffer.from(JSON.stringify(context.request)), end_of_stream: true } });
    return { lines, text: text(), target };
  }

  test('at debug: one line per attempt naming the request, the target, the provider and the path', () => {
    const { lines, text, target } = attempt('debug');
    assert.equal(lines.length, 1);
    const { time: _time, ...line } = lines[0]!;
    assert.deepEqual(line, {
      level: 'debug',
      service: 'llm-gateway',
      request_id: 'req-1',
      model: 'chain',
      attempt: 1,
      target: target.id,
      provider: 'openai',
      model_sent: 'gpt-4o-mini',
      path: '/v1/chat/completions',
      body_bytes: line.body_bytes,
      pid: process.pid,
      msg: 'attempt written',
    });
    assert.ok(Number(line.body_bytes) > PROMPT.length);
    assert.ok(!text.includes(PROVIDER_KEY) && !text.includes(PROMPT));
  });

  test('at info: none', () => {
    assert.deepEqual(attempt('info').lines, []);
  });
});

describe('governance store calls', () => {
  test('each call is a debug line with the operation, the key id, the outcome and its duration', async () => {
    const { lines, logger } = capture('debug');
    const fake = fakeGovernanceStore();
    const store = logGovernanceStoreCalls(fake, logger);
    const limits = { requestsPerMinute: 1 };
    await store.admit({ keyId: 'config:team', now: 0, limits, reservationId: 'r1', reservationUsd: 0.5, reservationTtlMs: 1000 });
    fake.next = { admitted: false, reason: 'requests_per_minute', retryAfterSeconds: 12, state: { requests: undefined, tokens: undefined, parallel: undefined, budget: undefined } };
    await store.admit({ keyId: 'config:team', now: 0, limits, reservationId: 'r2', reservationUsd: 0.5, reservationTtlMs: 1000 });
    fake.next = 'unavailable';
    await assert.rejects(store.admit({ keyId: 'config:team', now: 0, limits, reservationId: 'r3', reservationUsd: 0.5, reservationTtlMs: 1000 }));
    await store.settle({ keyId: 'config:team', now: 0, limits, reservationId: 'r1', costUsd: 0.01, tokens: 20, model: 'gpt' });
    assert.deepEqual(
      lines.map(({ operation, key_id, admitted, reason, error, msg }) => ({ operation, key_id, admitted, reason, error, msg })),
      [
        { operation: 'admit', key_id: 'config:team', admitted: true, reason: undefined, error: undefined, msg: 'governance store call' },
        { operation: 'admit', key_id: 'config:team', admitted: false, reason: 'requests_per_minute', error: undefined, msg: 'governance store call' },
        { operation: 'admit', key_id: 'config:team', admitted: undefined, reason: undefined, error: 'redis unreachable', msg: 'governance store call failed' },
        { operation: 'settle', key_id: 'config:team', admitted: undefined, reason: undefined, error: undefined, msg: 'governance store call' },
      ],
    );
    for (const line of lines) assert.equal(typeof line.duration_ms, 'number');
    assert.equal(fake.admissions.length, 3, 'every call reached the store');
  });
});
