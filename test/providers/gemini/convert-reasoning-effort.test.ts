import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { convertRequestToGemini } from '../../../src/providers/gemini/convert-request.js';
import { chatCompletionRequestSchema, type ChatCompletionRequest } from '../../../src/providers/openai/openai-api.js';

function thinkingConfig(model: string, effort: string): unknown {
  const request = chatCompletionRequestSchema.parse({ model: 'gemini', messages: [{ role: 'user', content: 'Why is the sky blue?' }], reasoning_effort: effort }) as ChatCompletionRequest;
  return (convertRequestToGemini(request, { model }) as any).generationConfig?.thinkingConfig;
}

function assertRefused(model: string, effort: string): void {
  assert.throws(
    () => thinkingConfig(model, effort),
    (error: unknown) => error instanceof GatewayError && error.status === 400 && error.param === 'reasoning_effort' && error.code === 'unsupported_parameter',
    `${model} ${effort}`,
  );
}

describe('reasoning_effort for Gemini', () => {
  test('Gemini 2.5 Flash: a thinking budget per effort, 0 for none; the upstream body differs for every value', () => {
    assert.deepEqual(thinkingConfig('gemini-2.5-flash', 'none'), { thinkingBudget: 0 });
    assert.deepEqual(thinkingConfig('gemini-2.5-flash', 'minimal'), { thinkingBudget: 1024, includeThoughts: true });
    assert.deepEqual(thinkingConfig('gemini-2.5-flash', 'low'), { thinkingBudget: 1024, includeThoughts: true });
    assert.deepEqual(thinkingConfig('gemini-2.5-flash', 'medium'), { thinkingBudget: 8192, includeThoughts: true });
    assert.deepEqual(thinkingConfig('gemini-2.5-flash', 'high'), { thinkingBudget: 24576, includeThoughts: true });
    assert.deepEqual(thinkingConfig('gemini-2.5-flash', 'xhigh'), { thinkingBudget: 24576, includeThoughts: true }, "the model's largest budget");
    const bodies = ['none', 'low', 'medium', 'high'].map((effort) => JSON.stringify(thinkingConfig('gemini-2.5-flash', effort)));
    assert.equal(new Set(bodies).size, 4);
  });

  test('Gemini 2.5 Flash-Lite and Pro: budgets within each model\'s range; Pro cannot stop thinking, so "none" is refused', () => {
    assert.deepEqual(thinkingConfig('gemini-2.5-flash-lite', 'none'), { thinkingBudget: 0 });
    assert.deepEqual(thinkingConfig('gemini-2.5-flash-lite', 'minimal'), { thinkingBudget: 1024, includeThoughts: true });
    assert.deepEqual(thinkingConfig('gemini-2.5-pro', 'xhigh'), { thinkingBudget: 32768, includeThoughts: true });
    assert.deepEqual(thinkingConfig('gemini-2.5-pro', 'low'), { thinkingBudget: 1024, includeThoughts: true });
    assertRefused('gemini-2.5-pro', 'none');
  });

  test('Gemini 3: thinkingLevel of the same name; minimal is the lowest level; levels the model lacks and "none" are refused', () => {
    assert.deepEqual(thinkingConfig('gemini-3-flash-preview', 'minimal'), { thinkingLevel: 'MINIMAL', includeThoughts: true });
    assert.deepEqual(thinkingConfig('gemini-3-flash-preview', 'medium'), { thinkingLevel: 'MEDIUM', includeThoughts: true });
    assert.deepEqual(thinkingConfig('gemini-3-pro-preview', 'minimal'), { thinkingLevel: 'LOW', includeThoughts: true });
    assert.deepEqual(thinkingConfig('gemini-3-pro-preview', 'high'), { thinkingLevel: 'HIGH', includeThoughts: true });
    assert.deepEqual(thinkingConfig('gemini-3.1-pro-preview', 'medium'), { thinkingLevel: 'MEDIUM', includeThoughts: true });
    assertRefused('gemini-3-pro-preview', 'medium');
    assertRefused('gemini-3-flash-preview', 'xhigh');
    assertRefused('gemini-3-pro-preview', 'none');
  });

  test('models that do not think take only "none"; models the gateway does not know are refused', () => {
    assert.equal(thinkingConfig('gemini-2.0-flash', 'none'), undefined);
    assertRefused('gemini-2.0-flash', 'low');
    assertRefused('gemini-flash-latest', 'low');
  });

  test('without reasoning_effort no thinkingConfig is sent', () => {
    const request = chatCompletionRequestSchema.parse({ model: 'gemini', messages: [{ role: 'user', content: 'Hi' }] }) as ChatCompletionRequest;
    assert.equal((convertRequestToGemini(request, { model: 'gemini-2.5-flash' }) as any).generationConfig, undefined);
  });
});
