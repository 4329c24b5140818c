import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ModelCapabilities } from '../../src/capabilities/capability-table.js';
import { ROUTE_HEADER } from '../../src/config/envoy-contract.js';
import { RouterProcessor } from '../../src/extproc/router-processor.js';
import { headers, processorDependencies } from '../support/processor-fixtures.js';

/** The router processor with capabilities: what it answers while, and after, a prompt is counted. */
const SMALL: ModelCapabilities = { context_window: 1000, max_output_tokens: 100, tools: false, vision: false, json_schema: true, reasoning: false };
const chatHeaders = headers({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' });
const longPrompt = { body: Buffer.from(JSON.stringify({ model: 'gpt', max_tokens: 10, messages: [{ role: 'user', content: 'x'.repeat(2000) }] })), end_of_stream: true };

function setup(tokens: number) {
  let release: (count: number) => void = () => undefined;
  const dependencies = {
    ...processorDependencies(),
    capabilities: { of: () => SMALL },
    tokenCounter: { count: () => new Promise<number>((resolve) => (release = resolve)), close: async () => undefined },
  };
  const processor = new RouterProcessor(dependencies);
  processor.handle({ request: 'request_headers', request_headers: chatHeaders });
  return { dependencies, processor, count: () => release(tokens) };
}

describe('RouterProcessor with capabilities', () => {
  test('a prompt that must be counted: refused with the numbers once counted', async () => {
    const { processor, count, dependencies } = setup(995);
    const pending = processor.handle({ request: 'request_body', request_body: longPrompt });
    assert.ok(pending instanceof Promise, 'the answer waits for the count');
    count();
    const reply = await pending;
    assert.equal(reply.immediate_response?.status.code, 400);
    const error = JSON.parse(reply.immediate_response!.body!.toString()).error;
    assert.equal(error.code, 'context_length_exceeded');
    assert.match(error.message, /maximum context length is 1000 tokens\. However, you requested 1005 tokens \(995 in the messages, 10 in the completion\)/);
    assert.equal(dependencies.store.size, 0);
  });

  test('a stream that ends while its prompt is counted goes no further: nothing stored, nothing forwarded', async () => {
    const { processor, count, dependencies } = setup(10);
    const pending = processor.handle({ request: 'request_body', request_body: longPrompt });
    assert.ok(pending instanceof Promise);
    processor.close('cancelled');
    count();
    const reply = await pending;
    assert.equal(reply.immediate_response, undefined);
    assert.equal(reply.request_body?.response?.header_mutation, undefined, 'no routing header');
    assert.equal(dependencies.store.size, 0, 'no request state left behind');
  });

  test('a prompt that fits once counted is forwarded', async () => {
    const { processor, count, dependencies } = setup(10);
    const pending = processor.handle({ request: 'request_body', request_body: longPrompt });
    count();
    const reply = await pending;
    const set = Object.fromEntries((reply.request_body?.response?.header_mutation?.set_headers ?? []).map((option) => [option.header.key, option.header.raw_value.toString()]));
    assert.equal(set[ROUTE_HEADER], 'model_gpt');
    assert.equal(dependencies.store.size, 1);
  });
});
