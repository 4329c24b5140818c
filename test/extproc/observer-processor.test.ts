import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { METADATA_NAMESPACE, OBSERVE_HEADER, REQUEST_ID_ATTRIBUTE, REQUEST_ID_METADATA_KEY } from '../../src/config/envoy-contract.js';
import type { ProcessingRequest, ProcessingResponse } from '../../src/extproc/messages.js';
import { ObserverProcessor } from '../../src/extproc/observer-processor.js';
import { fromProtoStruct } from '../../src/extproc/proto-struct.js';
import { RouterProcessor } from '../../src/extproc/router-processor.js';
import type { Exchange } from '../../src/pipeline/exchange.js';
import { ObservedExchanges } from '../../src/pipeline/observed-exchanges.js';
import { headers, processorDependencies } from '../support/processor-fixtures.js';

/**
 * sidecar.pass_through_observability_mode in process: the router processor marks a request,
 * leaves its 200 answer to the observer stream, and exactly one of the two streams ends it,
 * whichever order Envoy's two gRPC streams arrive in.
 */
async function step(processor: RouterProcessor, message: ProcessingRequest): Promise<ProcessingResponse> {
  return processor.handle(message);
}

const USAGE = { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 };
const event = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
const CHUNKS = [
  event({ id: 'c', object: 'chat.completion.chunk', model: 'gpt-4o', choices: [{ index: 0, delta: { content: 'Hi' } }], usage: null }),
  `${event({ id: 'c', object: 'chat.completion.chunk', model: 'gpt-4o', choices: [], usage: USAGE })}data: [DONE]\n\n`,
];

function chunk(id: string | undefined, text: string, endOfStream: boolean): ProcessingRequest {
  const request: ProcessingRequest = { request: 'response_body', response_body: { body: Buffer.from(text), end_of_stream: endOfStream } };
  if (id !== undefined) request.attributes = { 'envoy.filters.http.ext_proc': { fields: { [REQUEST_ID_ATTRIBUTE]: { stringValue: id } } } } as never;
  return request;
}

async function forwarded(stream: boolean, includeUsage: boolean) {
  const dependencies = { ...processorDependencies(), observed: new ObservedExchanges<Exchange>() };
  const router = new RouterProcessor(dependencies);
  await step(router, { request: 'request_headers', request_headers: headers({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' }) });
  const request = { model: 'gpt', messages: [{ role: 'user', content: 'hi' }], ...(stream ? { stream: true } : {}), ...(includeUsage ? { stream_options: { include_usage: true } } : {}) };
  const reply = await step(router, { request: 'request_body', request_body: { body: Buffer.from(JSON.stringify(request)), end_of_stream: true } });
  const set = Object.fromEntries((reply.request_body?.response?.header_mutation?.set_headers ?? []).map((option) => [option.header.key, option.header.raw_value.toString()]));
  const id = (fromProtoStruct(reply.dynamic_metadata) as Record<string, Record<string, string>>)[METADATA_NAMESPACE]![REQUEST_ID_METADATA_KEY]!;
  const observer = () => new ObserverProcessor({ observed: dependencies.observed, pipeline: dependencies.pipeline });
  return { dependencies, router, observer, id, marked: set[OBSERVE_HEADER] === '1' };
}

describe('answers left to the observer stream', () => {
  test('a stream whose client asked for usage is marked, left to the observer, and metered once, chunks arriving before the router decided', async () => {
    const { dependencies, router, observer: newObserver, id, marked } = await forwarded(true, true);
    assert.ok(marked);
    const observer = newObserver();
    // Envoy sends the observer's first chunk without waiting: it may arrive before the router's response headers.
    const waiting = observer.observe(chunk(id, CHUNKS[0]!, false));
    assert.ok(waiting instanceof Promise, 'the observer waits for the router to decide');
    const headersReply = await step(router, { request: 'response_headers', response_headers: headers({ ':status': '200', 'content-type': 'text/event-stream' }) });
    assert.deepEqual(headersReply.mode_override, { response_body_mode: 'NONE' });
    await waiting;
    await observer.observe(chunk(undefined, CHUNKS[1]!, true));
    assert.ok(observer.finished);
    const outcomes = dependencies.meter.outcomes;
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0]!.usage?.totalTokens, 7);
    assert.equal(outcomes[0]!.cutShort, false);
    // Both streams end: nothing more is metered.
    router.close('cancelled');
    observer.close('ended');
    assert.equal(outcomes.length, 1);
    assert.equal(dependencies.observed.size, 0);
  });

  test('an observer stream that ends before the answer did meters it once, as cut short', async () => {
    const { dependencies, router, observer: newObserver, id } = await forwarded(true, true);
    await step(router, { request: 'response_headers', response_headers: headers({ ':status': '200', 'content-type': 'text/event-stream' }) });
    const observer = newObserver();
    await observer.observe(chunk(id, CHUNKS[0]!, false));
    router.close('cancelled');
    assert.equal(dependencies.meter.outcomes.length, 0, 'the router stream leaves it to the observer that found it');
    observer.close('cancelled');
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(dependencies.meter.outcomes.length, 1);
    assert.equal(dependencies.meter.outcomes[0]!.cutShort, true);
  });

  test('an observer stream that never shows up: the router stream meters it after its grace, and a late one is ignored', async () => {
    const { dependencies, router, observer: newObserver, id } = await forwarded(true, true);
    await step(router, { request: 'response_headers', response_headers: headers({ ':status': '200', 'content-type': 'text/event-stream' }) });
    router.close('cancelled');
    assert.equal(dependencies.meter.outcomes.length, 0);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal(dependencies.meter.outcomes.length, 1);
    assert.equal(dependencies.meter.outcomes[0]!.cutShort, true);
    const late = newObserver();
    assert.equal(late.observe(chunk(id, CHUNKS[1]!, true)), undefined);
    late.close('ended');
    assert.equal(dependencies.meter.outcomes.length, 1);
  });

  test('an error answer stays the router\'s: the observer stream ignores it', async () => {
    const { dependencies, router, observer: newObserver, id } = await forwarded(true, true);
    const observer = newObserver();
    const waiting = observer.observe(chunk(id, '{"error":{"message":"no"}}', true));
    const headersReply = await step(router, { request: 'response_headers', response_headers: headers({ ':status': '400', 'content-type': 'application/json' }) });
    assert.equal(headersReply.mode_override, undefined, 'the router filter reads the body');
    await waiting;
    observer.close('ended');
    assert.equal(dependencies.meter.outcomes.length, 0);
    await step(router, { request: 'response_body', response_body: { body: Buffer.from('{"error":{"message":"no"}}'), end_of_stream: true } });
    router.close('ended');
    assert.equal(dependencies.meter.outcomes.length, 1);
    assert.equal(dependencies.meter.outcomes[0]!.status, 400);
  });

  test('a stream whose client did not ask for usage is not marked (the gateway removes the usage chunk it asked for)', async () => {
    const { marked, dependencies } = await forwarded(true, false);
    assert.equal(marked, false);
    assert.equal(dependencies.observed.size, 0);
  });

  test('a whole answer is not marked: one body round trip on the router stream costs less than a second stream', async () => {
    const { marked, dependencies } = await forwarded(false, false);
    assert.equal(marked, false);
    assert.equal(dependencies.observed.size, 0);
  });
});
