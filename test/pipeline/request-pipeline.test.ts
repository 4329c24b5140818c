import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../src/errors.js';
import type { ProcessingResponse } from '../../src/extproc/messages.js';
import { createRequestPipeline } from '../../src/pipeline/create-request-pipeline.js';
import { Exchange } from '../../src/pipeline/exchange.js';
import { requestPipeline, runStages } from '../../src/pipeline/request-pipeline.js';
import type { RequestStage } from '../../src/pipeline/request-stage.js';
import { processorDependencies } from '../support/processor-fixtures.js';

const answer = (name: string): ProcessingResponse => ({ request_body: { response: { status: 'CONTINUE', body_mutation: { body: Buffer.from(name) } } } }) as unknown as ProcessingResponse;

/** A stage that records that it ran, then does what it is told. */
function stage(ran: string[], name: string, outcome: () => ReturnType<RequestStage['run']>): RequestStage {
  return {
    name,
    run: () => {
      ran.push(name);
      return outcome();
    },
  };
}

function exchange(): Exchange {
  const value = new Exchange(processorDependencies());
  value.model = 'gpt';
  return value;
}

describe('runStages', () => {
  test('runs the stages in order until one answers; later ones do not run', () => {
    const ran: string[] = [];
    const stages = [stage(ran, 'a', () => undefined), stage(ran, 'b', () => answer('b')), stage(ran, 'c', () => answer('c'))];
    assert.deepEqual(runStages(exchange(), stages), answer('b'));
    assert.deepEqual(ran, ['a', 'b']);
  });

  test('a stage that waits: the rest run once it settles, and the reply is a promise', async () => {
    const ran: string[] = [];
    const stages = [stage(ran, 'a', () => Promise.resolve(undefined)), stage(ran, 'b', () => answer('b'))];
    const reply = runStages(exchange(), stages);
    assert.ok(reply instanceof Promise);
    assert.deepEqual(ran, ['a']);
    assert.deepEqual(await reply, answer('b'));
    assert.deepEqual(ran, ['a', 'b']);
  });

  test('a thrown error or a rejection is refused in the client format, naming the model', async () => {
    const thrown = runStages(exchange(), [
      stage([], 'a', () => {
        throw new GatewayError({ status: 400, code: 'bad', message: 'no' });
      }),
    ]);
    const rejected = await runStages(exchange(), [stage([], 'a', () => Promise.reject(new GatewayError({ status: 402, code: 'budget', message: 'no' })))]);
    for (const [reply, status] of [
      [thrown, 400],
      [rejected, 402],
    ] as const) {
      assert.ok(!(reply instanceof Promise));
      assert.equal(reply.immediate_response?.status?.code, status);
    }
  });

  test('no stage answering is a composition error, refused as an internal one', () => {
    const reply = runStages(exchange(), [stage([], 'a', () => undefined)]);
    assert.ok(!(reply instanceof Promise));
    assert.equal(reply.immediate_response?.status?.code, 500);
  });
});

describe('createRequestPipeline', () => {
  test('ends with the stage that forwards, and visits only chunk observers per chunk', () => {
    const pipeline = createRequestPipeline();
    assert.equal(pipeline.stages.at(-1)?.name, 'forward');
    assert.deepEqual(
      pipeline.observers.map((observer) => observer.name),
      ['output guardrails', 'meter and settle', 'cache fill'],
    );
    assert.ok(pipeline.chunkObservers.every((observer) => observer.onChunk !== undefined));
    assert.deepEqual(requestPipeline([], [{ name: 'headers only', onHeaders: () => undefined }]).chunkObservers, []);
  });
});
