import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildDroppingParams } from '../../src/routing/drop-unsupported-params.js';
import { invalidValue, unsupportedParameter } from '../../src/providers/translation-errors.js';
import type { UpstreamRequest } from '../../src/providers/provider-adapter.js';

/** drop_params: a translator's unsupported_parameter refusal removes that field and translates again. */
function translator(refuses: string[]) {
  const seen: Array<Record<string, unknown>> = [];
  const build = (request: unknown): UpstreamRequest => {
    const fields = request as Record<string, unknown>;
    seen.push(fields);
    for (const field of refuses) if (fields[field] !== undefined) throw unsupportedParameter(field, `${field} is not supported`);
    return { body: Buffer.from(JSON.stringify(fields)) } as unknown as UpstreamRequest;
  };
  return { build, seen };
}

describe('buildDroppingParams', () => {
  test('drops each refused top-level parameter, in order, and leaves the client request untouched', () => {
    const { build } = translator(['logprobs', 'store']);
    const request = { model: 'm', messages: [], logprobs: true, store: true, temperature: 0 };
    const dropped: string[] = [];
    const upstream = buildDroppingParams(build, request, dropped);
    assert.deepEqual(dropped, ['logprobs', 'store']);
    assert.deepEqual(JSON.parse(upstream.body!.toString()), { model: 'm', messages: [], temperature: 0 });
    assert.equal(request.logprobs, true, 'the original request keeps its fields');
  });

  test('a refusal about nested content is thrown, not dropped', () => {
    const build = () => {
      throw unsupportedParameter('messages[0].content[1]', 'audio input is not supported');
    };
    assert.throws(() => buildDroppingParams(build, { messages: [] }, []), /audio input/);
  });

  test('an invalid value is thrown, not dropped', () => {
    const build = () => {
      throw invalidValue('temperature', 'temperature must be at most 1');
    };
    const dropped: string[] = [];
    assert.throws(() => buildDroppingParams(build, { temperature: 2 }, dropped), /at most 1/);
    assert.deepEqual(dropped, []);
  });

  test('nothing to drop: one translation', () => {
    const { build, seen } = translator(['logprobs']);
    const dropped: string[] = [];
    buildDroppingParams(build, { model: 'm', messages: [] }, dropped);
    assert.deepEqual(dropped, []);
    assert.equal(seen.length, 1);
  });
});
