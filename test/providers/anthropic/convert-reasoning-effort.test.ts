import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { convertRequestToAnthropic } from '../../../src/providers/anthropic/convert-request.js';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '../../../src/providers/openai/openai-api.js';

function convert(model: string, request: Record<string, unknown>): any {
  const parsed = chatCompletionRequestSchema.parse({ model: 'claude', messages: [{ role: 'user', content: 'Why is the sky blue?' }], ...request }) as ChatCompletionRequest;
  return convertRequestToAnthropic(parsed, { model, pathPrefix: '/v1', credential: undefined });
}

function assertRefused(model: string, request: Record<string, unknown>, param = 'reasoning_effort'): void {
  assert.throws(
    () => convert(model, request),
    (error: unknown) => error instanceof GatewayError && error.status === 400 && error.param === param && error.code === 'unsupported_parameter',
    `${model} ${JSON.stringify(request)}`,
  );
}

describe('reasoning_effort for Claude', () => {
  test('every value changes the body: no two efforts send the same request', () => {
    const bodies = ['none', 'minimal', 'medium', 'high', 'xhigh'].map((effort) => JSON.stringify(convert('claude-sonnet-4-5', { reasoning_effort: effort })));
    assert.equal(new Set(bodies).size, bodies.length);
  });

  test('Claude 3.7 to 4.5: extended thinking with a token budget below max_tokens', () => {
    const budget = (effort: string, extra: Record<string, unknown> = {}, model = 'claude-sonnet-4-5') => convert(model, { reasoning_effort: effort, ...extra }).thinking;
    assert.deepEqual(budget('minimal'), { type: 'enabled', budget_tokens: 1024 });
    assert.deepEqual(budget('low'), { type: 'enabled', budget_tokens: 1024 });
    assert.deepEqual(budget('medium'), { type: 'enabled', budget_tokens: 8192 });
    assert.deepEqual(budget('high'), { type: 'enabled', budget_tokens: 24576 });
    assert.deepEqual(budget('xhigh', {}, 'claude-3-7-sonnet-20250219'), { type: 'enabled', budget_tokens: 32768 });
    // The client's max_completion_tokens counts thinking, as OpenAI's counts reasoning: the budget stays below it.
    const capped = convert('claude-haiku-4-5', { reasoning_effort: 'high', max_completion_tokens: 5000 });
    assert.equal(capped.max_tokens, 5000);
    assert.deepEqual(capped.thinking, { type: 'enabled', budget_tokens: 4999 });
    // Opus 4.1's default max_tokens (its 32,000 maximum) leaves the xhigh budget below it.
    assert.ok(convert('claude-opus-4-1', { reasoning_effort: 'xhigh' }).thinking.budget_tokens < 32000);
  });

  test('a max_tokens that leaves no room for the smallest budget (1,024) is refused, naming the field that set it', () => {
    assertRefused('claude-sonnet-4-5', { reasoning_effort: 'low', max_tokens: 1024 }, 'max_tokens');
    assertRefused('claude-sonnet-4-5', { reasoning_effort: 'low', max_completion_tokens: 600 }, 'max_completion_tokens');
  });

  test('Claude 4.6 and later: adaptive thinking with output_config.effort of the same name', () => {
    const sent = (model: string, effort: string) => {
      const body = convert(model, { reasoning_effort: effort });
      return [body.thinking, body.output_config?.effort];
    };
    assert.deepEqual(sent('claude-opus-4-6', 'low'), [{ type: 'adaptive' }, 'low']);
    assert.deepEqual(sent('claude-opus-4-6', 'minimal'), [{ type: 'adaptive' }, 'low']);
    assert.deepEqual(sent('claude-sonnet-4-6', 'high'), [{ type: 'adaptive' }, 'high']);
    assert.deepEqual(sent('claude-opus-4-7', 'xhigh'), [{ type: 'adaptive' }, 'xhigh']);
    assert.deepEqual(sent('claude-opus-5', 'medium'), [{ type: 'adaptive' }, 'medium']);
    assertRefused('claude-opus-4-6', { reasoning_effort: 'xhigh' });
    // Effort and a JSON schema share output_config.
    const schema = { type: 'object', properties: {} };
    assert.deepEqual(convert('claude-opus-4-6', { reasoning_effort: 'low', response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } }).output_config, {
      format: { type: 'json_schema', schema },
      effort: 'low',
    });
  });

  test('"none": thinking disabled where it can be; nothing on a model that cannot think; refused where the model always thinks', () => {
    assert.deepEqual(convert('claude-sonnet-4-5', { reasoning_effort: 'none' }).thinking, { type: 'disabled' });
    assert.deepEqual(convert('claude-opus-4-6', { reasoning_effort: 'none' }).thinking, { type: 'disabled' });
    assert.equal(convert('claude-3-5-haiku-20241022', { reasoning_effort: 'none' }).thinking, undefined);
    assertRefused('claude-fable-5', { reasoning_effort: 'none' });
    assertRefused('claude-mythos-preview', { reasoning_effort: 'none' });
  });

  test('a model that cannot think, or one the gateway does not know, is refused rather than sent something it may not take', () => {
    assertRefused('claude-3-5-sonnet-20241022', { reasoning_effort: 'low' });
    assertRefused('my-company-claude', { reasoning_effort: 'low' });
    assertRefused('my-company-claude', { reasoning_effort: 'none' });
  });

  test('without reasoning_effort, nothing about thinking is sent', () => {
    const body = convert('claude-opus-4-6', {});
    assert.equal(body.thinking, undefined);
    assert.equal(body.output_config, undefined);
  });
});
